//! The webhook executor (being written).
