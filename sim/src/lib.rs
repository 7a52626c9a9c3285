//! wacfg-sim: a local HTTP server that behaves like the Graph API endpoints wacfg uses.
//!
//! A `World` (YAML, see sim/README.md) says which tokens exist and what they see; `Sim::start`
//! serves it on 127.0.0.1 with Meta's routes, field expansion, paging, errors and rate
//! limits, plus `Faults` a test can switch on and `/__sim/` control endpoints. The library
//! owns no policy of wacfg's: it only imitates Meta.

pub mod callback;
pub mod control;
pub mod control_templates;
pub mod control_webhooks;
pub mod errors;
pub mod faults;
pub mod fields;
pub mod paging;
pub mod render;
pub mod server;
pub mod state;
pub mod stats;
pub mod templates;
pub mod urlenc;
pub mod usage;
pub mod world;

use std::net::SocketAddr;
use std::sync::Arc;

pub use errors::GraphError;
pub use faults::{Faults, FaultsBody, InjectedError, Malformed};
pub use stats::{LoggedRequest, Stats};
pub use world::{App, Business, CallbackOverride, PhoneNumber, Token, Waba, World, WorldError};

use state::{Shared, lock};

/// A running simulator. Dropping it stops the server.
pub struct Sim {
    shared: Arc<Shared>,
    stop: Stop,
}

enum Stop {
    /// Started inside the caller's runtime: the signal that shuts the server down gracefully
    /// (no new connections, idle keep-alive connections closed).
    Task(Option<tokio::sync::oneshot::Sender<()>>),
    /// Started on its own thread and runtime.
    Thread(
        Option<tokio::sync::oneshot::Sender<()>>,
        Option<std::thread::JoinHandle<()>>,
    ),
}

impl Sim {
    /// Serves `world` on 127.0.0.1 with an OS-chosen port, inside the current runtime.
    pub async fn start(world: World, faults: Faults) -> std::io::Result<Sim> {
        Sim::start_on(world, faults, 0).await
    }

    /// As `start`, on a given port (0 = any).
    pub async fn start_on(world: World, faults: Faults, port: u16) -> std::io::Result<Sim> {
        let (shared, listener) = prepare(world, faults, port).await?;
        let app = server::app(shared.clone());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            // An accept error ends the server; tests then see connection errors.
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop_rx.await;
                })
                .await;
        });
        Ok(Sim {
            shared,
            stop: Stop::Task(Some(stop_tx)),
        })
    }

    /// Serves on a thread with its own runtime, for synchronous tests (e.g. `assert_cmd`).
    pub fn start_blocking(world: World, faults: Faults) -> std::io::Result<Sim> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("wacfg-sim".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    match prepare(world, faults, 0).await {
                        Ok((shared, listener)) => {
                            let app = server::app(shared.clone());
                            tokio::spawn(async move {
                                let _ = axum::serve(listener, app).await;
                            });
                            let _ = ready_tx.send(Ok(shared));
                            let _ = stop_rx.await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
                // Dropping the runtime here cancels every connection, hanging ones included.
            })?;
        let shared = ready_rx
            .recv()
            .map_err(|_| std::io::Error::other("simulator thread ended before it was ready"))??;
        Ok(Sim {
            shared,
            stop: Stop::Thread(Some(stop_tx), Some(thread)),
        })
    }

    /// `http://127.0.0.1:PORT`, without a version.
    pub fn url(&self) -> String {
        self.shared.base_url()
    }

    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    pub fn stats(&self) -> Stats {
        lock(&self.shared.stats).clone()
    }

    /// The request log, oldest first, tokens redacted.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.shared.log).all()
    }

    /// A copy of the world as it is now.
    pub fn world(&self) -> World {
        self.shared.read().world.clone()
    }

    /// Changes the world while the server runs.
    pub fn mutate<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        self.shared.mutate(f)
    }

    pub fn faults(&self) -> Faults {
        self.shared.faults()
    }

    pub fn set_faults(&self, faults: Faults) {
        self.shared.set_faults(faults);
    }

    /// Counters, log and rate-limit windows to zero; the world as loaded.
    pub fn reset(&self) {
        self.shared.reset();
    }
}

async fn prepare(
    mut world: World,
    faults: Faults,
    port: u16,
) -> std::io::Result<(Arc<Shared>, tokio::net::TcpListener)> {
    world.assign_template_ids();
    world
        .check()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
    let listener = server::bind(port).await?;
    let addr = listener.local_addr()?;
    Ok((Arc::new(Shared::new(world, faults, addr)), listener))
}

impl Drop for Sim {
    fn drop(&mut self) {
        match &mut self.stop {
            Stop::Task(tx) => {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(());
                }
            }
            Stop::Thread(tx, thread) => {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(());
                }
                if let Some(t) = thread.take() {
                    let _ = t.join();
                }
            }
        }
    }
}
