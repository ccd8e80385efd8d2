//! The words people read when `runway_core` refuses something, shared by the pages' server
//! functions and the server's plain routes (the history page and its CSV export say the same).
//! Core's errors carry what went wrong; the sentences live here.

use runway_core::requests::HistoryError;

/// Why a history view (or its export) is refused, in a sentence for the person who asked.
pub fn history(e: &HistoryError) -> String {
    match e {
        HistoryError::BadDate(d) => format!("`{d}` is not a date"),
        HistoryError::UnknownCursor(b) => format!("before: no request {b}"),
        HistoryError::NotInTeam(t) if t.is_empty() => "Choose one of your teams.".into(),
        HistoryError::NotInTeam(t) => format!("You are not in the team `{t}`."),
        HistoryError::NotAdmin => "Only admins see all requests.".into(),
        HistoryError::Db(_) => {
            "Runway could not complete this request. Please try again in a moment.".into()
        }
    }
}
