//! `ActivateInstance`: the one unsigned action. It checks the fields the vendor documents as
//! required, activates each EC2 instance once, and mints the key pair that signs that
//! instance's calls from then on (see the module documentation of [`super`]).

use axum::http::StatusCode;

use super::actions::required;
use super::wire::{Fields, Format};
use super::{Activation, Outcome, State};

/// Where the answer points for the licence terms (the vendor returns such a URL).
const EULA_URL: &str = "https://cloudbasic.net/eula";

/// `true`/`false` in any case (JSON booleans arrive as text); absent is `None`.
fn flag(fields: &Fields, name: &str, problems: &mut Vec<String>) -> Option<bool> {
    let value = fields.get(name)?;
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => {
            problems.push(format!(
                "{{{name}}}:Invalid value for {name}: expected true or false"
            ));
            None
        }
    }
}

fn optional(fields: &Fields, name: &str) -> Option<String> {
    fields
        .get(name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

pub(super) fn activate_instance(
    state: &mut State,
    fields: &Fields,
    format: Format,
    request_id: u64,
) -> Outcome {
    let mut problems = Vec::new();
    let instance_id = required(fields, "InstanceId", &mut problems);
    let email = required(fields, "Email", &mut problems);
    if let Some(email) = email {
        if !email.contains('@') {
            problems.push("{Email}:Invalid value for Email: not an e-mail address".to_string());
        }
    }
    required(fields, "Password", &mut problems);
    let is_production = flag(fields, "IsProduction", &mut problems).unwrap_or(false);
    match fields.get("AgreeToEula") {
        None => problems.push("{AgreeToEula}:AgreeToEula is required".to_string()),
        Some(_) => {
            if flag(fields, "AgreeToEula", &mut problems) == Some(false) {
                problems.push(
                    "{AgreeToEula}:You must agree to the End User License Agreement to activate the instance"
                        .to_string(),
                );
            }
        }
    }
    if let Some(id) = instance_id {
        if state.activations.contains_key(id) {
            problems.push(format!("{{InstanceId}}:Instance {id} is already activated"));
        }
    }
    let (Some(instance_id), Some(email), true) = (instance_id, email, problems.is_empty()) else {
        return Outcome::Failed(StatusCode::BAD_REQUEST, problems);
    };
    let (public, private) = state.mint();
    tracing::info!(instance_id = %instance_id, access_key = %public, "cloudbasic instance activated");
    state.activations.insert(
        instance_id.to_string(),
        Activation {
            email: email.to_string(),
            is_production,
            company: optional(fields, "Company"),
            contact_person: optional(fields, "ContactPerson"),
            with_activation_key: optional(fields, "ActivationKey").is_some(),
            public_key: public.clone(),
            format,
            request_id,
        },
    );
    Outcome::Done(vec![
        ("publicKey", public),
        ("privateKey", private),
        ("eulaUrl", EULA_URL.to_string()),
    ])
}
