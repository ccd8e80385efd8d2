//! One module per page.

pub mod action;
pub mod catalog;
pub mod health;
pub mod not_found;
pub mod signin;
