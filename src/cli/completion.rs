//! `refscope completion SHELL`: a completion script for the shell, generated from the same
//! clap definition that parses the command line, so it never lags behind the verbs.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;
use super::common::out;
use crate::error::Result;

#[derive(Args, Debug)]
#[command(after_help = "Install, e.g.:\n  \
    bash: refscope completion bash > ~/.local/share/bash-completion/completions/refscope\n  \
    zsh:  refscope completion zsh > ~/.zfunc/_refscope   (with ~/.zfunc in $fpath)\n  \
    fish: refscope completion fish > ~/.config/fish/completions/refscope.fish")]
pub struct CompletionArgs {
    /// The shell to write the script for
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: CompletionArgs) -> Result<()> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "refscope", &mut script);
    out(&script)
}
