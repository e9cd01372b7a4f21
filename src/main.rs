//! The `northstar` binary: parse the CLI, run, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = northstar::cli::Cli::parse();
    match northstar::app::run(cli) {
        Ok(code) => code,
        Err(err) => {
            if northstar::app::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", northstar::app::error_line(&err));
            ExitCode::from(northstar::app::exit_code(&err))
        }
    }
}
