//! northstar: a product-analytics engine embedded on DuckDB.
//!
//! Stages, one module each: [`config`] (TOML + flags), [`generator`]
//! (synthetic raw data), [`warehouse`] (the DuckDB file, atomic builds),
//! [`queries`] (versioned SQL runner and checks), and [`app`] which wires
//! them into the commands of the CLI ([`cli`]).

pub mod app;
pub mod cli;
pub mod config;
pub mod generator;
pub mod interrupt;
pub mod queries;
pub mod warehouse;
