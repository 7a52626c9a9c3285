//! The `wacfg-sim` binary: loads a world file, applies the faults given as flags, serves on
//! 127.0.0.1 and prints its URL as the first line of stdout; runs until SIGTERM or Ctrl-C.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use wacfg_sim::{Faults, Sim, World};

/// A local simulator of the Meta Graph API endpoints wacfg uses.
#[derive(Parser, Debug)]
#[command(name = "wacfg-sim", version)]
struct Args {
    /// World file (YAML): tokens, businesses, WABAs, numbers. See sim/README.md.
    #[arg(long)]
    world: PathBuf,
    /// Port on 127.0.0.1; 0 lets the OS choose.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Latency added to every request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Probability (0..1) that a request answers a transient error (2, 131000 or HTTP 503).
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Calls per WABA per hour before answering 80008.
    #[arg(long)]
    rate_limit: Option<u32>,
    /// Every request hangs until the client gives up.
    #[arg(long)]
    hang: bool,
    /// Error messages echo the caller's token (to test that clients scrub it).
    #[arg(long)]
    echo_token: bool,
    /// Seed for the random faults.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if !(0.0..=1.0).contains(&args.error_rate) {
        eprintln!("wacfg-sim: --error-rate must be between 0 and 1");
        return ExitCode::from(2);
    }
    let world = match World::from_path(&args.world) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("wacfg-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let faults = Faults {
        latency: Duration::from_millis(args.latency_ms),
        transient_error_rate: args.error_rate,
        hang: args.hang,
        rate_limit_budget: args.rate_limit,
        echo_token_in_errors: args.echo_token,
        fail_next: Vec::new(),
        seed: args.seed,
        ..Faults::default()
    };
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wacfg-sim: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(serve(world, faults, args.port))
}

async fn serve(world: World, faults: Faults, port: u16) -> ExitCode {
    let sim = match Sim::start_on(world, faults, port).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("wacfg-sim: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The handlers are installed before the URL is printed: whoever reads the URL may send
    // SIGTERM at once, and a signal with no handler yet would kill the process instead.
    let stop = stop_signal();
    let mut out = std::io::stdout();
    let _ = writeln!(out, "wacfg-sim listening on {}", sim.url());
    let _ = out.flush();
    stop.await;
    drop(sim);
    ExitCode::SUCCESS
}

/// A future that ends on SIGTERM or Ctrl-C; the handlers exist once this returns.
fn stop_signal() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            return Box::pin(async move {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            });
        }
    }
    Box::pin(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
