//! The `rkv` binary: the command line of the `rkv` library ([`rkv::cli`]).

fn main() -> std::process::ExitCode {
    rkv::cli::main()
}
