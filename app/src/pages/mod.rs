//! One module per page.

pub mod action;
pub mod audit;
pub mod catalog;
pub mod discover;
pub mod discover_map;
pub mod form;
pub mod health;
pub mod history;
pub mod inbox;
pub mod not_found;
pub mod request;
pub mod signin;
pub mod team;
