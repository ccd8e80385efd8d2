//! One module per page.

pub mod action;
pub mod action_history;
pub mod audit;
pub mod catalog;
pub mod discover;
pub mod discover_map;
pub mod editor;
pub mod form;
pub mod health;
pub mod history;
pub mod impact;
pub mod inbox;
pub mod lifecycle;
pub mod not_found;
pub mod notifications;
pub mod pulse;
pub mod request;
pub mod signin;
pub mod team;
pub mod tokens;
