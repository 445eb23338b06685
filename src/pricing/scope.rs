//! Which calls a price entry may price: its scope against the endpoint a call
//! went through and the region it was made in. Pure: no table, no I/O.
//!
//! GovCloud is its own scope. AWS prices it apart from the commercial regions
//! (reported at 1.2× the global price, not the +10% regional premium), so a
//! call made in a `us-gov-*` region or through a `us-gov.` profile is priced
//! only by a `govcloud` entry; `all` and `regional` never reach it.

use std::fmt;

use super::model_id::Endpoint;

/// Which endpoints an entry prices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Every commercial endpoint: models without a regional premium.
    All,
    /// The `global.` cross-region profile.
    Global,
    /// In-region calls and geographic profiles (`us.`, `eu.`, …) outside GovCloud.
    Regional,
    /// Calls in AWS GovCloud (US): a `us-gov-*` region or a `us-gov.` profile.
    #[serde(rename = "govcloud")]
    GovCloud,
}

impl Scope {
    pub const EVERY: [Scope; 4] = [Scope::All, Scope::Global, Scope::Regional, Scope::GovCloud];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::Global => "global",
            Scope::Regional => "regional",
            Scope::GovCloud => "govcloud",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::EVERY.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether an entry of this scope may price a call through `endpoint` made in `region`.
    pub fn covers(self, endpoint: &Endpoint, region: &str) -> bool {
        let gov = is_govcloud(endpoint, region);
        match self {
            Scope::GovCloud => gov,
            _ if gov => false,
            Scope::All => true,
            Scope::Global => endpoint.is_global(),
            Scope::Regional => !endpoint.is_global(),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A GovCloud region name (`us-gov-west-1`, `us-gov-east-1`).
pub fn is_govcloud_region(region: &str) -> bool {
    region.starts_with("us-gov-")
}

/// Either says GovCloud: a `us-gov.` profile is only callable there, and a
/// call made in a GovCloud region is billed there whatever ID it used.
pub fn is_govcloud(endpoint: &Endpoint, region: &str) -> bool {
    is_govcloud_region(region) || matches!(endpoint, Endpoint::Geo(p) if p == "us-gov")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_table() {
        let geo = |p: &str| Endpoint::Geo(p.to_string());
        // (endpoint, region, [all, global, regional, govcloud])
        let cases = [
            (Endpoint::InRegion, "us-east-1", [true, false, true, false]),
            (Endpoint::Global, "us-east-1", [true, true, false, false]),
            (geo("eu"), "eu-west-1", [true, false, true, false]),
            (geo("us-gov"), "us-gov-west-1", [false, false, false, true]),
            (geo("us-gov"), "us-east-1", [false, false, false, true]),
            (Endpoint::InRegion, "us-gov-east-1", [false, false, false, true]),
            (Endpoint::Global, "us-gov-west-1", [false, false, false, true]),
            (geo("us"), "us-gov-west-1", [false, false, false, true]),
        ];
        for (endpoint, region, want) in cases {
            let got = Scope::EVERY.map(|s| s.covers(&endpoint, region));
            assert_eq!(got, want, "{endpoint} in {region}");
        }
    }

    #[test]
    fn names_round_trip() {
        for s in Scope::EVERY {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
        }
        assert_eq!(Scope::parse("gov"), None);
    }
}
