//! Billing maths (`dezky_core::billing`, `docs/billing.md`): monthly amounts,
//! MRR by tenant, plan and partner, partner margins. Amounts are integer minor
//! units.
//!
//! The documents (subscriptions, prices, tenants, partners) cross as the
//! control plane's JSON text, each list a JSON array; the MRR report comes
//! back as JSON text (its figures are maps by currency).

use dezky_core::billing::{self, Price, Subscription};
use dezky_core::lifecycle::{PartnerDocument, TenantDocument};
use serde_json::{Map, Value};

use crate::domain::document;
use crate::error::DezkyError;

pub use dezky_core::billing::BillingCycle;

/// How often a price is charged: `dezky_core::billing::BillingCycle` itself.
#[uniffi::remote(Enum)]
pub enum BillingCycle {
    /// Every month.
    Monthly,
    /// Every year.
    Yearly,
}

/// The JSON array `json` of documents, the list `name`: each read by `read`
/// with its name `name[i]` (errors name `subscriptions[2].seats`).
fn documents<T>(
    json: &str,
    name: &str,
    read: impl Fn(&str, &Map<String, Value>) -> dezky_core::Result<T>,
) -> Result<Vec<T>, DezkyError> {
    let items = match serde_json::from_str(json) {
        Ok(Value::Array(items)) => items,
        Ok(_) => {
            return Err(dezky_core::Error::Invalid {
                field: name.to_owned(),
                reason: "must be a JSON array of documents".into(),
            }
            .into());
        }
        Err(err) => {
            return Err(DezkyError::malformed_json(
                &err,
                format!("malformed JSON in `{name}`: {err}"),
            ));
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let field = format!("{name}[{i}]");
            match item {
                Value::Object(map) => Ok(read(&field, &map)?),
                _ => Err(dezky_core::Error::Invalid {
                    field,
                    reason: "must be a JSON object".into(),
                }
                .into()),
            }
        })
        .collect()
}

/// The monthly amount of `seats` at `per_seat_amount` (minor units) per
/// `cycle`: a yearly amount divided by 12, rounded half up.
#[uniffi::export]
pub fn monthly_amount(cycle: BillingCycle, per_seat_amount: u64, seats: u64) -> u64 {
    billing::monthly_amount(cycle, per_seat_amount, seats)
}

/// MRR of `subscriptions_json` (a JSON array of subscription documents),
/// priced from their snapshots or else from `catalogue_json` (price
/// documents), grouped by tenant, plan and partner (`tenants_json` and
/// `partners_json`: the tenant and partner documents). Returns the report as
/// JSON text: `{subscriptions, total, byTenant, byPlan, byPartner, unpriced}`,
/// every figure by currency. Errors name the document's field
/// (`subscriptions[0].status`, `partner.marginPct`).
#[uniffi::export]
pub fn mrr(
    subscriptions_json: String,
    catalogue_json: String,
    tenants_json: String,
    partners_json: String,
) -> Result<String, DezkyError> {
    let subscriptions = documents(
        &subscriptions_json,
        "subscriptions",
        Subscription::from_document,
    )?;
    let catalogue = documents(&catalogue_json, "catalogue", Price::from_document)?;
    let tenants = documents(&tenants_json, "tenants", TenantDocument::from_document)?;
    let partners = documents(&partners_json, "partners", PartnerDocument::from_document)?;
    let report = billing::mrr(&subscriptions, &catalogue, &tenants, &partners)?;
    // Strings, integers and maps with string keys: serializing cannot fail.
    Ok(serde_json::to_string(&report).unwrap_or_default())
}

/// A partner's margin in basis points (12.5 % is 1,250), read exactly from
/// the partner document's `marginPct`; 0 without one. More than two decimals
/// is `Invalid` on `partner.marginPct`.
#[uniffi::export]
pub fn margin_basis_points(partner_json: String) -> Result<u32, DezkyError> {
    let partner = PartnerDocument::from_document("partner", &document(&partner_json, "partner")?)?;
    Ok(billing::margin_basis_points(&partner)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T1: &str = "6650f1c2a9b4e3d2c1b0a998";
    const P1: &str = "6650f1c2a9b4e3d2c1b0a111";

    fn field(result: Result<impl std::fmt::Debug, DezkyError>) -> String {
        match result {
            Err(DezkyError::Invalid { field, .. }) => field,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn mrr_by_partner_with_its_margin() {
        let subs = format!(
            r#"[{{"_id": "s1", "tenantId": "{T1}", "plan": "pro", "status": "active",
                 "cycle": "yearly", "currency": "EUR", "perSeatAmount": 10, "seats": 7}}]"#
        );
        let tenants = format!(
            r#"[{{"_id": "{T1}", "slug": "acme", "status": "active", "partnerId": "{P1}"}}]"#
        );
        let partners =
            format!(r#"[{{"_id": "{P1}", "slug": "p", "status": "active", "marginPct": 12.5}}]"#);
        let report: Value =
            serde_json::from_str(&mrr(subs, "[]".into(), tenants, partners).unwrap()).unwrap();
        assert_eq!(report["total"]["eur"], 6);
        assert_eq!(report["byPartner"][0]["marginBasisPoints"], 1250);
        assert_eq!(monthly_amount(BillingCycle::Yearly, 10, 7), 6);
    }

    #[test]
    fn bad_documents_name_the_field() {
        assert_eq!(
            field(mrr(
                r#"[{"_id": "s", "tenantId": "t", "plan": "p", "status": "gone"}]"#.into(),
                "[]".into(),
                "[]".into(),
                "[]".into()
            )),
            "subscriptions[0].status"
        );
        assert_eq!(
            field(mrr("[]".into(), "{}".into(), "[]".into(), "[]".into())),
            "catalogue"
        );
        assert_eq!(
            field(mrr("[]".into(), "[]".into(), "[1]".into(), "[]".into())),
            "tenants[0]"
        );
        assert!(matches!(
            mrr("[".into(), "[]".into(), "[]".into(), "[]".into()),
            Err(DezkyError::MalformedJson { .. })
        ));
        assert_eq!(
            field(margin_basis_points(format!(
                r#"{{"_id": "{P1}", "slug": "p", "status": "active", "marginPct": 1.234}}"#
            ))),
            "partner.marginPct"
        );
    }
}
