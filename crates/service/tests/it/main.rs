//! voltdesk-service integration tests: every use case through the `Service` API, each on
//! SQLite and (with `VOLTDESK_TEST_PG` set) on PostgreSQL, with a hand-moved clock.

#[macro_use]
mod support;

mod auth;
mod calls;
mod delivery;
mod desk;
mod history;
mod import;
mod intake;
mod jobs;
mod lifecycle;
mod outages;
mod pause;
mod privacy;
mod quality;
mod rules;
mod scheduler;
