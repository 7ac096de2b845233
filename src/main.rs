use std::process::ExitCode;

use clap::Parser;
use refscope::cli::{Cli, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _log = refscope::logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {}", refscope::text::sanitize(&e.to_string()));
            ExitCode::from(e.exit_code())
        }
    }
}
