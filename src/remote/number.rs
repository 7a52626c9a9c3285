//! One phone number read live: what apply uses to check a sender's current status just before
//! it decides, rather than trusting facts read seconds or hours earlier.

use super::wire::{NUMBER_FIELDS, WireNumber};
use super::{Client, RemoteError, Token, convert, redact};
use crate::model::ObservedNumber;

impl Client {
    /// `GET /{phone-number-id}?fields=…`: the number's current facts.
    pub async fn read_number(
        &self,
        token: &Token,
        phone_number_id: &str,
    ) -> Result<ObservedNumber, RemoteError> {
        let id = redact::encode_query_value(phone_number_id);
        let fields = redact::encode_query_value(NUMBER_FIELDS);
        let url = self.config().url(&format!("{id}?fields={fields}"));
        let value = self.transport.get(token, &url).await?;
        let wire: WireNumber = serde_json::from_value(value).map_err(|e| RemoteError::Decode {
            request: format!("GET {}", redact::redact_url(&url)),
            message: format!("not a phone number: {e}"),
        })?;
        Ok(convert::number(wire))
    }
}
