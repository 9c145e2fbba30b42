//! `advocacy`: serve the services, or talk to them. See `advocacy --help`.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = advocacy::cli::Cli::parse();
    match advocacy::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("advocacy: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
