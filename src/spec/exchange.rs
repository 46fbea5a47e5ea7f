//! How a partner exchanges a temporal key for a permanent one, as a pack
//! declares it; [`crate::apikey::exchange`] does it.

use serde::Deserialize;

/// How a partner exchanges a temporal key, as a pack declares it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeSpec {
    /// HTTP method of the exchange.
    #[serde(default = "patch")]
    pub method: String,
    /// The exchange URL, e.g. `${base_url}/v1/accounts/public-api/${account_id}`.
    pub url: String,
    /// The header carrying the temporal key.
    pub header: String,
    /// What precedes the key in that header, e.g. `ApiKey `.
    #[serde(default)]
    pub prefix: String,
    /// The JSON body field that carries the chosen secret.
    pub secret_field: String,
    /// JSONPath of the new API key in the answer.
    pub key_path: String,
    /// JSONPath of the new API key id in the answer.
    pub key_id_path: String,
    /// Other places the partner documents for the key, tried in order when
    /// `key_path`/`key_id_path` find nothing.
    #[serde(default)]
    pub alternative_paths: Vec<KeyPaths>,
    /// How many days the partner documents a temporal key stays valid; with
    /// the environment's `temporal_key_issued_at`, an expired key is refused
    /// before any request.
    pub temporal_key_valid_days: Option<u32>,
    /// How the permanent credential is assembled, with `{api_key}`,
    /// `{api_key_id}` and `{NAME}` of the account input (`inputs.account`);
    /// the parts are never split again.
    pub credential: String,
    /// An authenticated read that proves the new credential works.
    pub verify_url: String,
    /// Which of the pack's `[inputs]` the exchange reads, by name.
    pub inputs: super::ExchangeInputs,
}

/// One place the key and its id may be in the answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyPaths {
    /// JSONPath of the API key.
    pub key_path: String,
    /// JSONPath of the API key id.
    pub key_id_path: String,
}

fn patch() -> String {
    "PATCH".to_string()
}
