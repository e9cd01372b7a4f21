//! Integration tests: one entry file, modules per concern.

mod common;

mod calibration;
mod cli;
mod compat;
mod determinism;
mod golden;
mod lock;
