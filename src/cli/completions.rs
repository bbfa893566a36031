//! `rkv completions SHELL`: the shell's completion script on stdout.

use clap::CommandFactory as _;

use super::args::Cli;
use super::{ExitStatus, Result};

pub(super) fn run(shell: clap_complete::Shell) -> Result {
    clap_complete::generate(shell, &mut Cli::command(), "rkv", &mut std::io::stdout());
    Ok(ExitStatus::Success)
}
