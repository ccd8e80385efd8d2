//! The script executor (being written).
