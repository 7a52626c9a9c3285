//! Progress on stderr while a command talks to Meta: the read phase says what it waits for
//! once it has taken longer than a second, retries and slow-downs say how long they wait,
//! and an apply prints a line per change (with its duration), a "Still creating…" line every
//! 10 s for a change still running, and its total. On a terminal the running parts are a
//! spinner; in a pipe (CI logs) they are plain lines. The words come from
//! `render::progress`; this module only decides when.
//!
//! Two hidden environment variables exist for tests, so the timing lines can be shown
//! deterministically without waiting: `WACFG_PROGRESS_QUIET_FOR` (how long a phase runs before
//! it speaks, default 1s) and `WACFG_PROGRESS_EVERY` (the "still running" interval, default
//! 10s), both durations like `50ms`.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::use_color;
use crate::apply::Progress;
use crate::model::Address;
use crate::plan::Action;
use crate::remote::{Activity, ActivityHook, WaitReason};
use crate::render::apply_report;
use crate::render::progress::{self as words, Wait};
use crate::state::parse_duration;

const QUIET_FOR_ENV: &str = "WACFG_PROGRESS_QUIET_FOR";
const EVERY_ENV: &str = "WACFG_PROGRESS_EVERY";

/// When progress speaks.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// A phase quicker than this says nothing.
    pub quiet_for: Duration,
    /// How often a running phase or change is reported again.
    pub every: Duration,
}

/// A phase says what it waits for after this long (issue 13: "after a second").
const DEFAULT_QUIET_FOR: Duration = Duration::from_secs(1);
/// A phase or change still running is reported again this often (Terraform's 10 s).
const DEFAULT_EVERY: Duration = Duration::from_secs(10);

impl Pace {
    fn from_env() -> Pace {
        Pace::from_lookup(|name| std::env::var(name).ok())
    }

    /// The pace from the hidden variables as `lookup` reads them: the defaults unless a
    /// variable holds a non-zero duration.
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Pace {
        let read = |name: &str, default: Duration| {
            lookup(name)
                .and_then(|v| parse_duration(&v).ok())
                .filter(|d| !d.is_zero())
                .unwrap_or(default)
        };
        Pace {
            quiet_for: read(QUIET_FOR_ENV, DEFAULT_QUIET_FOR),
            every: read(EVERY_ENV, DEFAULT_EVERY),
        }
    }
}

/// stderr for one command: where progress lines go (above the spinner when there is one),
/// and the requests in flight, as the client tells them.
pub struct Console {
    tty: bool,
    color: bool,
    pace: Pace,
    state: Mutex<Shared>,
}

#[derive(Default)]
struct Shared {
    bar: Option<indicatif::ProgressBar>,
    /// Requests in flight, by label, with how many share it.
    requests: BTreeMap<String, usize>,
}

impl Console {
    pub fn new(no_color: bool) -> Arc<Console> {
        let tty = std::io::stderr().is_terminal();
        Arc::new(Console {
            tty,
            color: use_color(no_color, tty),
            pace: Pace::from_env(),
            state: Mutex::new(Shared::default()),
        })
    }

    fn shared(&self) -> MutexGuard<'_, Shared> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Print one line on stderr, above the spinner when one is showing.
    pub fn line(&self, text: &str) {
        match &self.shared().bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    /// The client's side: track the requests in flight, and say how long a wait lasts.
    pub fn hook(self: &Arc<Self>) -> ActivityHook {
        let console = Arc::clone(self);
        Arc::new(move |activity| console.activity(activity))
    }

    fn activity(&self, activity: Activity<'_>) {
        match activity {
            Activity::Sent { request } => {
                *self
                    .shared()
                    .requests
                    .entry(request.to_string())
                    .or_default() += 1;
            }
            Activity::Answered { request } => {
                let mut shared = self.shared();
                if let Some(n) = shared.requests.get_mut(request) {
                    *n -= 1;
                    if *n == 0 {
                        shared.requests.remove(request);
                    }
                }
            }
            Activity::Waiting { request, wait, why } => {
                let why = match why {
                    WaitReason::Retry { attempt, error } => Wait::Retry { attempt, error },
                    WaitReason::RateLimit => Wait::RateLimit,
                };
                self.line(&words::wait_line(request, wait, why));
            }
        }
    }

    fn requests(&self) -> Vec<String> {
        self.shared().requests.keys().cloned().collect()
    }

    /// Watch a phase (`"Reading Meta"`) until the guard drops: silent if it ends within
    /// [`Pace::quiet_for`]; then, on a terminal, a spinner naming what it waits for, in a pipe
    /// one line, and another every [`Pace::every`].
    pub fn phase(self: &Arc<Self>, name: &'static str) -> Ticker {
        let console = Arc::clone(self);
        let started = Instant::now();
        let mut spoken = false;
        let mut last_line = started;
        Ticker::start(self.pace.quiet_for, self.tick(), move || {
            let elapsed = started.elapsed();
            let waiting = console.requests();
            if console.tty {
                let mut shared = console.shared();
                let bar = shared.bar.get_or_insert_with(spinner);
                bar.set_message(words::phase_line(name, &waiting, elapsed, false));
            } else if !spoken {
                spoken = true;
                last_line = Instant::now();
                console.line(&words::phase_line(name, &waiting, elapsed, false));
            } else if last_line.elapsed() >= console.pace.every {
                last_line = Instant::now();
                console.line(&words::phase_line(name, &waiting, elapsed, true));
            }
        })
        .on_stop({
            let console = Arc::clone(self);
            move || {
                if let Some(bar) = console.shared().bar.take() {
                    bar.finish_and_clear();
                }
            }
        })
    }

    /// How often the watcher wakes: often enough to refresh a spinner, and to keep to `every`.
    fn tick(&self) -> Duration {
        if self.tty {
            Duration::from_millis(250)
        } else {
            self.pace
                .every
                .min(self.pace.quiet_for)
                .max(Duration::from_millis(10))
        }
    }
}

fn spinner() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// A thread that calls its closure every tick after a first delay, until dropped.
pub struct Ticker {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    on_stop: Option<Box<dyn FnOnce() + Send + Sync>>,
}

impl Ticker {
    fn start(first: Duration, every: Duration, mut tick: impl FnMut() + Send + 'static) -> Ticker {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let mut wait = first;
            loop {
                match stopped.recv_timeout(wait) {
                    Err(RecvTimeoutError::Timeout) => tick(),
                    _ => return,
                }
                wait = every;
            }
        });
        Ticker {
            stop: Some(stop),
            thread: Some(thread),
            on_stop: None,
        }
    }

    fn on_stop(mut self, f: impl FnOnce() + Send + Sync + 'static) -> Ticker {
        self.on_stop = Some(Box::new(f));
        self
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        // Dropping the sender wakes the thread at once.
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if let Some(f) = self.on_stop.take() {
            f();
        }
    }
}

/// An apply's progress: one line per change started or finished, with its duration; every
/// [`Pace::every`] a "Still creating…" line for each change still running (in a pipe) or an
/// updated spinner naming them (on a terminal); the total at the end.
pub struct ApplyProgress {
    console: Arc<Console>,
    in_flight: Arc<Mutex<BTreeMap<Address, (Action, Instant)>>>,
    started: Instant,
    ticker: Option<Ticker>,
}

impl ApplyProgress {
    pub fn start(console: &Arc<Console>, total: usize) -> ApplyProgress {
        if console.tty {
            let bar = indicatif::ProgressBar::new(total as u64);
            let style = indicatif::ProgressStyle::with_template("{spinner} {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(100));
            console.shared().bar = Some(bar);
        }
        let in_flight: Arc<Mutex<BTreeMap<Address, (Action, Instant)>>> = Arc::default();
        let ticker = {
            let (console, in_flight) = (Arc::clone(console), Arc::clone(&in_flight));
            let tick = if console.tty {
                Duration::from_secs(1)
            } else {
                console.pace.every
            };
            Ticker::start(tick, tick, move || {
                let in_flight = in_flight.lock().unwrap_or_else(|e| e.into_inner());
                if console.tty {
                    console.refresh(&in_flight);
                } else {
                    let running: Vec<(Address, Action, Duration)> = in_flight
                        .iter()
                        .map(|(a, (action, since))| (a.clone(), *action, since.elapsed()))
                        .collect();
                    drop(in_flight);
                    for (address, action, elapsed) in running {
                        if elapsed >= console.pace.every {
                            console.line(&words::still_line(
                                &address,
                                action,
                                elapsed,
                                console.color,
                            ));
                        }
                    }
                }
            })
        };
        ApplyProgress {
            console: Arc::clone(console),
            in_flight,
            started: Instant::now(),
            ticker: Some(ticker),
        }
    }

    pub fn event(&self, event: Progress<'_>) {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        let line = match event {
            Progress::Started(change) => {
                in_flight.insert(change.address.clone(), (change.action, Instant::now()));
                apply_report::progress_line(
                    apply_report::Progress::Started {
                        address: &change.address,
                        action: change.action,
                    },
                    self.console.color,
                )
            }
            Progress::Finished(result) => {
                let since = in_flight.remove(&result.address);
                apply_report::progress_line(
                    apply_report::Progress::Finished {
                        result,
                        elapsed: since.map(|(_, t)| t.elapsed()),
                    },
                    self.console.color,
                )
            }
            Progress::AwaitingReview { count } => words::awaiting_review_line(count),
            Progress::InReview {
                address,
                pending,
                elapsed,
            } => words::in_review_line(address, pending, elapsed, self.console.color),
            Progress::Reviewed { result, elapsed } => {
                let rejected = match &result.outcome {
                    crate::apply::ChangeOutcome::ChecksFailed { reasons } => reasons.as_slice(),
                    _ => &[],
                };
                words::reviewed_line(
                    &result.address,
                    result.status.as_deref(),
                    rejected,
                    elapsed,
                    self.console.color,
                )
            }
        };
        self.console.line(&line);
        if let Some(bar) = &self.console.shared().bar
            && matches!(event, Progress::Finished(_))
        {
            bar.inc(1);
        }
        // Only a terminal's spinner shows what is in flight after each event.
        if self.console.tty {
            self.console.refresh(&in_flight);
        }
    }

    /// Stop the spinner and the ticker; `with_total` prints how long the apply took.
    pub fn finish(mut self, with_total: bool) {
        self.ticker.take();
        if let Some(bar) = self.console.shared().bar.take() {
            bar.finish_and_clear();
        }
        if with_total {
            self.console
                .line(&words::total_line(self.started.elapsed()));
        }
    }
}

/// The `n` changes in flight the longest (ties in address order), with how long: one pass
/// without copying, since a refresh follows every event and thousands of changes can be in
/// flight, waiting for one state write.
fn longest(in_flight: &BTreeMap<Address, (Action, Instant)>, n: usize) -> Vec<(String, Duration)> {
    let mut oldest: Vec<(&Address, Instant)> = Vec::with_capacity(n + 1);
    for (address, (_, since)) in in_flight {
        let at = oldest.partition_point(|(_, s)| s <= since);
        if at < n {
            oldest.insert(at, (address, *since));
            oldest.truncate(n);
        }
    }
    oldest
        .into_iter()
        .map(|(a, since)| (a.to_string(), since.elapsed()))
        .collect()
}

impl Console {
    /// The spinner's message: the changes in flight the longest, for how long, and how many.
    fn refresh(&self, in_flight: &BTreeMap<Address, (Action, Instant)>) {
        if let Some(bar) = &self.shared().bar {
            let shown = longest(in_flight, words::SPINNER_NAMES);
            bar.set_message(words::in_flight_message(&shown, in_flight.len()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_speaks_after_one_second_and_repeats_every_ten_by_default() {
        let pace = Pace::from_lookup(|_| None);
        assert_eq!(pace.quiet_for, Duration::from_secs(1));
        assert_eq!(pace.every, Duration::from_secs(10));
        // Unreadable or zero values keep the defaults; a duration replaces them.
        let pace = Pace::from_lookup(|name| {
            Some(if name == QUIET_FOR_ENV { "soon" } else { "0s" }.to_string())
        });
        assert_eq!(pace.quiet_for, Duration::from_secs(1));
        assert_eq!(pace.every, Duration::from_secs(10));
        let pace = Pace::from_lookup(|name| {
            Some(
                if name == QUIET_FOR_ENV {
                    "50ms"
                } else {
                    "100ms"
                }
                .to_string(),
            )
        });
        assert_eq!(pace.quiet_for, Duration::from_millis(50));
        assert_eq!(pace.every, Duration::from_millis(100));
    }

    #[test]
    fn the_spinner_names_the_longest_running_changes_ties_in_address_order() {
        let now = Instant::now();
        let ago = |s: u64| now.checked_sub(Duration::from_secs(s)).unwrap_or(now);
        let in_flight: BTreeMap<Address, (Action, Instant)> =
            [("A", 1), ("B", 9), ("C", 5), ("D", 9), ("E", 2), ("F", 7)]
                .into_iter()
                .map(|(name, s)| (Address::channel(name), (Action::Create, ago(s))))
                .collect();
        let names: Vec<String> = longest(&in_flight, 3).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "channel_configuration.B",
                "channel_configuration.D",
                "channel_configuration.F"
            ]
        );
        assert_eq!(longest(&in_flight, 10).len(), 6);
        assert!(longest(&BTreeMap::new(), 3).is_empty());
    }
}
