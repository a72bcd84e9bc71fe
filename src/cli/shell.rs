//! Shell integration generated from the clap definitions: completion scripts and man pages, so they
//! never drift from the flags the binary accepts.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, CommandFactory};

/// The name the scripts and pages are for: the executable kubectl runs (`kubectl-tlscheck`).
const BIN: &str = "kubectl-tlscheck";

#[derive(Args, Debug)]
pub(super) struct CompletionArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
pub(super) struct ManArgs {
    /// Write `kubectl-tlscheck.1` and a page per subcommand (`kubectl-tlscheck-lint.1`, …) into DIR
    /// instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Print the completion script for a shell.
pub(super) fn completion(args: CompletionArgs, out: &mut dyn Write) -> Result<()> {
    use clap_complete::Generator;
    let mut cmd = super::Cli::command();
    cmd.set_bin_name(BIN);
    cmd.build();
    let mut script = Vec::new();
    args.shell.try_generate(&cmd, &mut script)?;
    if args.shell == clap_complete::Shell::Bash {
        // clap_complete spells the state of a hyphenated binary's subcommands two ways
        // (`kubectl__tlscheck__subcmd__lint` in the dispatch loop, `kubectl__subcmd__tlscheck__…`
        // in the case arms), so nothing after the subcommand completes: clap-rs/clap#6421, open.
        // Spell the arms as the loop does; tests/shell.rs completes through them in bash.
        script = String::from_utf8_lossy(&script)
            .replace("kubectl__subcmd__tlscheck", "kubectl__tlscheck")
            .into_bytes();
    }
    Ok(out.write_all(&script)?)
}

/// Print the man page, or write all of them into a directory.
pub(super) fn man(args: ManArgs, out: &mut dyn Write) -> Result<()> {
    // The crate version without the git revision, so committed pages change only with the CLI.
    let cmd = super::Cli::command()
        .name(BIN)
        .version(env!("CARGO_PKG_VERSION"));
    match args.out {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(cmd, &dir)
                .with_context(|| format!("cannot write man pages into {}", dir.display()))
        }
        None => Ok(clap_mangen::Man::new(cmd.disable_help_subcommand(true)).render(out)?),
    }
}
