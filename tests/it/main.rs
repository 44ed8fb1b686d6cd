//! One integration-test binary: the real app, real stores, real HTTP.

mod common;

mod abuse;
mod accounts;
mod admin_tools;
mod api;
mod attack;
mod basemap;
mod browser;
mod cases;
mod demo;
mod fuzz;
mod history;
mod idempotency;
mod import;
mod index;
mod live;
mod live_import;
mod matrix;
mod ogc;
mod patrol;
mod rights;
mod search;
mod store_story;
mod tiles;
mod tls;
mod visits;
mod warnings;
