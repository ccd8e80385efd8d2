//! Page data loaded through server functions, with one JSON reader for both ways the data arrives.
//!
//! A resource's value reaches the browser either inside the server-rendered page (hydration data,
//! decoded by the resource's codec) or as a server function's response (decoded by `server_fn`'s
//! `Json` codec with `serde_json::from_slice`). Leptos's default resource codec decodes with
//! `from_str`, so every type the pages load had its `Deserialize` code compiled twice into the
//! WebAssembly, once per `serde_json` reader. [`JsonBytes`] decodes with `from_slice` too: one copy.

use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// JSON as text, read as bytes (see the module documentation).
pub struct JsonBytes;

impl<T: Serialize> Encoder<T> for JsonBytes {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(val: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(val)
    }
}

impl<T: DeserializeOwned> Decoder<T> for JsonBytes {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(val: &str) -> Result<T, serde_json::Error> {
        serde_json::from_slice(val.as_bytes())
    }
}

/// `Resource::new`, with the [`JsonBytes`] codec.
#[track_caller]
pub fn load<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, JsonBytes>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: PartialEq + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_bytes_reads_back_what_it_writes() {
        let value: Result<Vec<(String, i64)>, String> = Ok(vec![("ä \"q\"".into(), -3)]);
        let text = <JsonBytes as Encoder<_>>::encode(&value).unwrap();
        let back: Result<Vec<(String, i64)>, String> =
            <JsonBytes as Decoder<_>>::decode(&text).unwrap();
        assert_eq!(back, value);
    }
}
