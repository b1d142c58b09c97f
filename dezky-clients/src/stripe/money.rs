//! Amounts in a currency's minor unit, as Stripe sends them, with exact
//! conversion to and from decimal strings in major units (never floats).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Currencies whose Stripe amounts are whole units (JPY 500 is `500`).
pub const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

/// Currencies with three decimals (KWD 1.234 is `1234`).
pub const THREE_DECIMAL: &[&str] = &["bhd", "jod", "kwd", "omr", "tnd"];

/// Currencies for which Stripe documents extra rules that are not modelled
/// here (ISK, HUF, TWD, UGX): their amounts are kept in minor units, but
/// conversion to or from major units is refused rather than guessed.
pub const SPECIAL_CASES: &[&str] = &["isk", "huf", "twd", "ugx"];

/// A lowercase ISO 4217 currency code, as Stripe writes it (`eur`, `jpy`): only codes of the
/// current ISO 4217 list (the `iso_currency` crate's table) that name a currency, so no
/// superseded code (`hrk`), fund code (`clf`) or code without minor unit (`xau`, `xxx`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    /// Parses a current ISO 4217 currency code in any case; anything else is refused.
    pub fn new(code: &str) -> Result<Self> {
        let code = code.trim();
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(Error::invalid(
                "currency",
                format!("{code:?} is not a three-letter ISO 4217 code"),
            ));
        }
        let upper = code.to_ascii_uppercase();
        let refused = |why: String| Err(Error::invalid("currency", format!("{upper} {why}")));
        match iso_currency::Currency::from_code(&upper) {
            None => refused("is not an ISO 4217 currency".into()),
            Some(iso) => {
                if let Some(successor) = iso.is_superseded() {
                    refused(format!(
                        "is no longer current (replaced by {})",
                        successor.code()
                    ))
                } else if iso.is_fund() {
                    refused(
                        "is an ISO 4217 fund code, not a currency amounts are charged in".into(),
                    )
                } else if iso.is_special() || iso.exponent().is_none() {
                    refused(
                        "has no minor unit (a precious metal, drawing right or test code)".into(),
                    )
                } else {
                    Ok(Currency(code.to_ascii_lowercase()))
                }
            }
        }
    }

    /// The code, lowercase.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// How many decimals a Stripe amount in this currency carries: 0, 2 or 3. `None` where
    /// Stripe documents special rules (`SPECIAL_CASES`), and where Stripe lists no rule and
    /// ISO 4217 gives a minor unit other than two decimals (IQD, LYD: three in ISO): such
    /// amounts are not converted by guess.
    pub fn exponent(&self) -> Option<u32> {
        let code = self.0.as_str();
        if SPECIAL_CASES.contains(&code) {
            None
        } else if ZERO_DECIMAL.contains(&code) {
            Some(0)
        } else if THREE_DECIMAL.contains(&code) {
            Some(3)
        } else {
            let iso = iso_currency::Currency::from_code(&code.to_ascii_uppercase())?;
            iso.exponent().filter(|e| *e == 2).map(u32::from)
        }
    }

    fn exponent_or_error(&self) -> Result<u32> {
        self.exponent().ok_or_else(|| {
            Error::invalid(
                "currency",
                format!(
                    "{} has amount rules not modelled here (Stripe's special cases, or an ISO \
                     minor unit Stripe documents no rule for); convert its minor-unit amounts explicitly",
                    self.0.to_ascii_uppercase()
                ),
            )
        })
    }
}

impl TryFrom<String> for Currency {
    type Error = Error;
    fn try_from(value: String) -> Result<Self> {
        Currency::new(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An amount in a currency's minor unit (`1000` EUR is 10.00 EUR).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// The amount in minor units, as Stripe sends it (negative for credits).
    pub amount: i64,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// An amount already in minor units.
    pub fn from_minor(amount: i64, currency: Currency) -> Self {
        Money { amount, currency }
    }

    /// Parses a decimal string in major units (`"12.34"`, `"-5"`, `"500"`)
    /// into minor units. More decimals than the currency has, an exponent,
    /// a sign other than a leading `-`, or an amount beyond `i64` are refused.
    pub fn from_major(major: &str, currency: Currency) -> Result<Self> {
        let exponent = currency.exponent_or_error()?;
        let bad = |reason: &str| Error::invalid("amount", format!("{major:?}: {reason}"));
        let text = major.trim();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = match digits.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (digits, ""),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("not a decimal number"));
        }
        if !fraction.bytes().all(|b| b.is_ascii_digit())
            || (digits.contains('.') && fraction.is_empty())
        {
            return Err(bad("not a decimal number"));
        }
        let fraction = fraction.trim_end_matches('0');
        if fraction.len() > exponent as usize {
            return Err(bad(&format!(
                "{} allows {exponent} decimals",
                currency.as_str().to_ascii_uppercase()
            )));
        }
        let scale = 10i64.pow(exponent);
        let overflow = || bad("out of range");
        let whole: i64 = whole.parse().map_err(|_| overflow())?;
        let fraction_minor: i64 = if fraction.is_empty() {
            0
        } else {
            let parsed: i64 = fraction.parse().map_err(|_| overflow())?;
            parsed * 10i64.pow(exponent - fraction.len() as u32)
        };
        let magnitude = whole
            .checked_mul(scale)
            .and_then(|m| m.checked_add(fraction_minor))
            .ok_or_else(overflow)?;
        let amount = if negative { -magnitude } else { magnitude };
        Ok(Money { amount, currency })
    }

    /// The amount in major units as a decimal string with exactly the
    /// currency's decimals (`"10.00"`, `"500"`, `"1.234"`, `"-0.05"`).
    pub fn to_major(&self) -> Result<String> {
        let exponent = self.currency.exponent_or_error()?;
        let magnitude = self.amount.unsigned_abs();
        let sign = if self.amount < 0 { "-" } else { "" };
        if exponent == 0 {
            return Ok(format!("{sign}{magnitude}"));
        }
        let scale = 10u64.pow(exponent);
        Ok(format!(
            "{sign}{}.{:0width$}",
            magnitude / scale,
            magnitude % scale,
            width = exponent as usize
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(code: &str) -> Currency {
        Currency::new(code).expect("currency")
    }

    #[test]
    fn two_decimal_currencies() {
        let money = Money::from_major("10.00", cur("EUR")).expect("parses");
        assert_eq!(money.amount, 1000);
        assert_eq!(money.currency.as_str(), "eur");
        assert_eq!(money.to_major().expect("formats"), "10.00");
        assert_eq!(
            Money::from_major("12.3", cur("usd"))
                .expect("parses")
                .amount,
            1230
        );
        assert_eq!(
            Money::from_major("0.010", cur("usd"))
                .expect("parses")
                .amount,
            1
        );
        assert_eq!(
            Money::from_major("-5", cur("usd")).expect("parses").amount,
            -500
        );
        assert_eq!(
            Money::from_minor(-5, cur("usd"))
                .to_major()
                .expect("formats"),
            "-0.05"
        );
        assert_eq!(
            Money::from_minor(1, cur("chf"))
                .to_major()
                .expect("formats"),
            "0.01"
        );
    }

    #[test]
    fn zero_and_three_decimal_currencies() {
        let yen = Money::from_major("500", cur("jpy")).expect("parses");
        assert_eq!(yen.amount, 500);
        assert_eq!(yen.to_major().expect("formats"), "500");
        assert!(Money::from_major("500.5", cur("jpy")).is_err());
        assert_eq!(
            Money::from_major("500.00", cur("jpy"))
                .expect("parses")
                .amount,
            500
        );
        let dinar = Money::from_major("1.234", cur("kwd")).expect("parses");
        assert_eq!(dinar.amount, 1234);
        assert_eq!(dinar.to_major().expect("formats"), "1.234");
        assert!(Money::from_major("1.2345", cur("kwd")).is_err());
    }

    #[test]
    fn every_listed_code_is_a_current_currency() {
        for code in ZERO_DECIMAL
            .iter()
            .chain(THREE_DECIMAL)
            .chain(SPECIAL_CASES)
        {
            assert!(Currency::new(code).is_ok(), "{code}");
        }
        for code in [
            "eur", "usd", "chf", "gbp", "sek", "nok", "dkk", "pln", "czk", "ron",
        ] {
            assert_eq!(cur(code).exponent(), Some(2), "{code}");
        }
    }

    #[test]
    fn special_cases_are_not_guessed() {
        for code in SPECIAL_CASES {
            let money = Money::from_minor(100, cur(code));
            assert!(matches!(money.to_major(), Err(Error::InvalidInput { .. })));
            assert!(Money::from_major("1", cur(code)).is_err());
        }
    }

    #[test]
    fn bad_input_is_refused() {
        for bad in [
            "", "abc", "1e3", "1.2.3", "+1", "--1", "1.", ".5", " . ", "1,00", "١",
        ] {
            assert!(
                Money::from_major(bad, cur("usd")).is_err(),
                "{bad:?} accepted"
            );
        }
        assert!(Money::from_major("92233720368547758.08", cur("usd")).is_err());
        assert!(Money::from_major("99999999999999999999999", cur("usd")).is_err());
        assert_eq!(
            Money::from_minor(i64::MIN, cur("usd"))
                .to_major()
                .expect("formats"),
            "-92233720368547758.08"
        );
        assert!(Currency::new("eu").is_err());
        // Well-formed, but no current ISO 4217 currency.
        for code in [
            "xyz", "abc", "hrk", "dem", "clf", "usn", "xau", "xdr", "xts", "xxx",
        ] {
            let refused = Currency::new(code);
            assert!(
                matches!(&refused, Err(Error::InvalidInput { field, .. }) if field == "currency"),
                "{code}: {refused:?}"
            );
        }
        assert!(serde_json::from_str::<Currency>("\"xyz\"").is_err());
        // ISO gives three decimals, Stripe no rule: not formatted by guess.
        for code in ["iqd", "lyd"] {
            assert_eq!(cur(code).exponent(), None, "{code}");
            assert!(Money::from_minor(1000, cur(code)).to_major().is_err());
        }
        assert!(Currency::new("e1r").is_err());
        assert!(serde_json::from_str::<Currency>("\"euro\"").is_err());
        assert_eq!(
            serde_json::from_str::<Currency>("\"EUR\"")
                .expect("decodes")
                .as_str(),
            "eur"
        );
    }
}
