//! `refscope man`: the manual page, generated from the clap definition of the command line.

use std::path::PathBuf;

use clap::{Args, CommandFactory};

use super::Cli;
use super::common::{out, outln};
use crate::error::{Error, Result};

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write refscope.1 and one page per verb (refscope-pull.1, …) into this directory instead
    /// of printing refscope.1
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn run(args: ManArgs) -> Result<()> {
    let cmd = Cli::command();
    match args.dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            clap_mangen::generate_to(cmd, &dir).map_err(|e| Error::io(&dir, e))?;
            outln(&format!("Wrote the manual pages into {}", dir.display()))
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut page).map_err(|e| Error::io("the manual page", e))?;
            out(&page)
        }
    }
}
