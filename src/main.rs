fn main() {
    std::process::exit(rkv::cli::main());
}
