//! The `wacfg-sim` binary.

fn main() {
    eprintln!("wacfg-sim is not built yet");
    std::process::exit(1);
}
