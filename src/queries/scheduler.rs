//! The scheduler, shared by every engine: runs ordered query files on a
//! [`Session`], each file as soon as the files it depends on are done,
//! records every finished file through [`crate::engine::record`] and
//! collects the [`RunSummary`].

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use indicatif::ProgressBar;

use super::graph::transitive_dependents;
use super::{QueryFile, RunSummary, Severity};
use crate::engine::{record, Outcome, Session};
use crate::interrupt;

/// Runs `files` (already ordered; dependencies outside `files` must already
/// be in the database) and records each on `recorder`. With `workers`, up to
/// that many files run at once, one per worker thread, and `cancel` stops
/// their running statements on Ctrl-C; with none, the files run one after
/// the other on `recorder` itself (an engine whose work is one transaction).
/// `query_ms` is the wall time of the whole stage on every engine;
/// `check_ms` the checks' own times, summed.
///
/// # Errors
/// The first file the engine rejects (after it, no new file starts and the
/// running ones finish), a failed record, or an interrupt.
pub fn run<S, W>(
    recorder: &mut S,
    workers: Vec<W>,
    files: &[QueryFile],
    progress: &ProgressBar,
    cancel: &(dyn Fn() + Sync),
) -> Result<RunSummary, S::Error>
where
    S: Session,
    W: Session<Error = S::Error> + Send,
{
    let stage = Instant::now();
    progress.set_length(files.len() as u64);
    let index_of: BTreeMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(index, file)| (file.name.as_str(), index))
        .collect();
    let mut missing = vec![0usize; files.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); files.len()];
    for (index, file) in files.iter().enumerate() {
        for dependency in &file.depends {
            if let Some(&before) = index_of.get(dependency.as_str()) {
                missing[index] += 1;
                dependents[before].push(index);
            }
        }
    }
    // Files that more files wait on start first (the staging tables before
    // the checks, which nothing waits on); the given order breaks ties.
    let waiting_on: Vec<usize> = (0..files.len())
        .map(|index| transitive_dependents(&dependents, index))
        .collect();
    let priority = |index: usize| (std::cmp::Reverse(waiting_on[index]), index);
    let mut ready: BTreeSet<(std::cmp::Reverse<usize>, usize)> = (0..files.len())
        .filter(|&i| missing[i] == 0)
        .map(priority)
        .collect();
    let mut tally = Tally::default();
    let mut first_error: Option<S::Error> = None;

    if workers.is_empty() {
        while let Some((_, index)) = ready.pop_first() {
            if interrupt::requested() {
                return Err(S::interrupted());
            }
            let file = &files[index];
            progress.set_message(file.name.clone());
            let started = Instant::now();
            let outcome = recorder.execute(file)?;
            let elapsed = started.elapsed().as_millis() as i64;
            record(recorder, file, &outcome, elapsed)?;
            tally.add(index, file, outcome, elapsed);
            for &dependent in &dependents[index] {
                missing[dependent] -= 1;
                if missing[dependent] == 0 {
                    ready.insert(priority(dependent));
                }
            }
            progress.inc(1);
        }
        if interrupt::requested() {
            return Err(S::interrupted());
        }
        return Ok(tally.finish(files, stage));
    }

    let worker_count = workers.len();
    let (job_sender, job_receiver) = std::sync::mpsc::channel::<usize>();
    let job_receiver = std::sync::Mutex::new(job_receiver);
    let (done_sender, done_receiver) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for mut worker in workers {
            let job_receiver = &job_receiver;
            let done_sender = done_sender.clone();
            scope.spawn(move || loop {
                let next = job_receiver.lock().map(|receiver| receiver.recv());
                let Ok(Ok(index)) = next else {
                    return;
                };
                let file: &QueryFile = &files[index];
                let started = Instant::now();
                // A panic must not leave the coordinator waiting for this file.
                let outcome =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| worker.execute(file)))
                        .unwrap_or_else(|_| Err(W::panicked(file)));
                let elapsed = started.elapsed().as_millis() as i64;
                if done_sender.send((index, outcome, elapsed)).is_err() {
                    return;
                }
            });
        }
        drop(done_sender);
        let mut running = 0usize;
        loop {
            while running < worker_count && first_error.is_none() {
                if interrupt::requested() {
                    first_error = Some(S::interrupted());
                    break;
                }
                let Some((_, index)) = ready.pop_first() else {
                    break;
                };
                progress.set_message(files[index].name.clone());
                if job_sender.send(index).is_err() {
                    break;
                }
                running += 1;
            }
            if running == 0 {
                break;
            }
            let (index, outcome, elapsed) =
                match done_receiver.recv_timeout(std::time::Duration::from_millis(100)) {
                    Ok(done) => done,
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        if interrupt::requested() {
                            // repeated until the files stop: a file that had
                            // not started its statement yet is caught next time
                            first_error.get_or_insert_with(S::interrupted);
                            cancel();
                        }
                        continue;
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                };
            running -= 1;
            let file = &files[index];
            let outcome = match outcome
                .and_then(|outcome| record(recorder, file, &outcome, elapsed).map(|()| outcome))
            {
                Ok(outcome) => outcome,
                Err(err) => {
                    first_error.get_or_insert(err);
                    continue;
                }
            };
            tally.add(index, file, outcome, elapsed);
            for &dependent in &dependents[index] {
                missing[dependent] -= 1;
                if missing[dependent] == 0 {
                    ready.insert(priority(dependent));
                }
            }
            progress.inc(1);
        }
        drop(job_sender);
    });
    if let Some(err) = first_error {
        return Err(err);
    }
    Ok(tally.finish(files, stage))
}

/// What the finished files add up to, before their names are attached.
#[derive(Default)]
struct Tally {
    analyses: usize,
    checks: usize,
    check_ms: i64,
    failed: Vec<(usize, i64, Vec<String>)>,
    warned: Vec<(usize, i64, Vec<String>)>,
}

impl Tally {
    fn add(&mut self, index: usize, file: &QueryFile, outcome: Outcome, elapsed: i64) {
        match outcome {
            Outcome::Analysis { .. } => self.analyses += 1,
            Outcome::Check { offending, sample } => {
                self.check_ms += elapsed;
                self.checks += 1;
                if offending > 0 {
                    match file.severity {
                        Severity::Error => self.failed.push((index, offending, sample)),
                        Severity::Warning => self.warned.push((index, offending, sample)),
                    }
                }
            }
        }
    }

    /// Failed checks and warnings in file order, named.
    fn finish(self, files: &[QueryFile], stage: Instant) -> RunSummary {
        let named = |mut list: Vec<(usize, i64, Vec<String>)>| {
            list.sort_by_key(|(index, _, _)| *index);
            list.into_iter()
                .map(|(index, offending, sample)| (files[index].name.clone(), offending, sample))
                .collect::<Vec<_>>()
        };
        RunSummary {
            analyses: self.analyses,
            checks: self.checks,
            failed_checks: named(self.failed),
            warnings: named(self.warned),
            query_ms: stage.elapsed().as_millis() as i64,
            check_ms: self.check_ms,
        }
    }
}
