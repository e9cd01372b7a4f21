//! Integration tests: one entry file, modules per concern.

mod common;

mod calibration;
mod charts;
mod cli;
mod compat;
mod connectors;
mod determinism;
mod golden;
mod growth;
mod ingest;
mod ingest_rules;
mod lock;
mod messages;
mod postgres;
mod reliability;
mod report;
mod scaling;
mod security;
mod seeds;
mod spark;
