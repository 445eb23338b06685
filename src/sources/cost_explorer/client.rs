//! The Cost Explorer adapter: the only file that sees `aws_sdk_costexplorer`
//! types. One call is one page; the SDK's own retries are off so that every
//! request Cost Explorer bills is one the caller counts.
//!
//! Must not page, merge or parse usage types (`mod.rs`, `usage_type.rs`).

use async_trait::async_trait;
use aws_sdk_costexplorer::config::retry::RetryConfig;
use aws_sdk_costexplorer::types::{
    DateInterval, Dimension, DimensionValues, Expression, Granularity, Group, GroupDefinition,
    GroupDefinitionType, ResultByTime,
};
use aws_sdk_costexplorer::Client;
use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{BillPage, BillQuery, BillSource, PageDay, API, DIMENSIONS_API, REGION};
use crate::aws::MonitoredAccount;
use crate::records::BillLine;
use crate::sources::aws_error::classify;
use crate::sources::{ErrorKind, SourceError};

const COST: &str = "UnblendedCost";
const QUANTITY: &str = "UsageQuantity";

/// Cost Explorer of the monitored account (its own bill, or the
/// organisation's when the account is the management account).
pub struct CostExplorerSource {
    client: Client,
}

impl CostExplorerSource {
    /// A client at Cost Explorer's one endpoint (us-east-1), whatever the
    /// monitored regions are.
    pub fn connect(aws: &MonitoredAccount) -> Self {
        #[expect(clippy::disallowed_methods, reason = "the adapter builds its own client")]
        let client = Client::new(&aws.for_region(REGION));
        CostExplorerSource { client }
    }
}

fn no_retry() -> aws_sdk_costexplorer::config::Builder {
    aws_sdk_costexplorer::Config::builder().retry_config(RetryConfig::disabled())
}

fn interval(api: &'static str, from: NaiveDate, to: NaiveDate) -> Result<DateInterval, SourceError> {
    let fmt = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    DateInterval::builder().start(fmt(from)).end(fmt(to)).build().map_err(|e| bad(api, e.to_string()))
}

fn bad(api: &'static str, message: String) -> SourceError {
    SourceError { api, region: REGION.to_string(), kind: ErrorKind::Other, message }
}

/// Access refused is the usual first-run problem: say what to do.
fn explained(mut e: SourceError) -> SourceError {
    if e.message.starts_with("AccessDenied") {
        e.message = format!(
            "{} (Cost Explorer must be enabled for the account, and the role needs ce:GetCostAndUsage and \
             ce:GetDimensionValues; a member account also needs its management account to allow Cost \
             Explorer access)",
            e.message
        );
    }
    e
}

#[async_trait]
impl BillSource for CostExplorerSource {
    async fn services_page(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        search: &str,
        token: Option<String>,
    ) -> Result<(Vec<String>, Option<String>), SourceError> {
        let out = self
            .client
            .get_dimension_values()
            .time_period(interval(DIMENSIONS_API, from, to)?)
            .dimension(Dimension::Service)
            .search_string(search)
            .set_next_page_token(token)
            .customize()
            .config_override(no_retry())
            .send()
            .await
            .map_err(|e| explained(classify(DIMENSIONS_API, REGION, &e)))?;
        let values = out.dimension_values().iter().filter_map(|v| v.value().map(str::to_string)).collect();
        Ok((values, out.next_page_token().map(str::to_string)))
    }

    async fn cost_page(&self, query: &BillQuery, token: Option<String>) -> Result<BillPage, SourceError> {
        let by =
            |key: &str| GroupDefinition::builder().r#type(GroupDefinitionType::Dimension).key(key).build();
        let services = DimensionValues::builder()
            .key(Dimension::Service)
            .set_values(Some(query.services.clone()))
            .build();
        let out = self
            .client
            .get_cost_and_usage()
            .time_period(interval(API, query.from, query.to)?)
            .granularity(Granularity::Daily)
            .metrics(COST)
            .metrics(QUANTITY)
            .group_by(by("SERVICE"))
            .group_by(by("USAGE_TYPE"))
            .filter(filter(services, &query.accounts))
            .set_next_page_token(token)
            .customize()
            .config_override(no_retry())
            .send()
            .await
            .map_err(|e| explained(classify(API, REGION, &e)))?;
        let days = out.results_by_time().iter().map(page_day).collect::<Result<_, _>>()?;
        Ok(BillPage { days, next: out.next_page_token().map(str::to_string) })
    }
}

/// The services, and the linked accounts when some are named (both must hold).
fn filter(services: DimensionValues, accounts: &[String]) -> Expression {
    let by_service = Expression::builder().dimensions(services).build();
    if accounts.is_empty() {
        return by_service;
    }
    let linked =
        DimensionValues::builder().key(Dimension::LinkedAccount).set_values(Some(accounts.to_vec())).build();
    Expression::builder().and(by_service).and(Expression::builder().dimensions(linked).build()).build()
}

fn page_day(r: &ResultByTime) -> Result<PageDay, SourceError> {
    let start = r.time_period().map(DateInterval::start).unwrap_or_default();
    let day = NaiveDate::parse_from_str(start, "%Y-%m-%d")
        .map_err(|e| bad(API, format!("a result's TimePeriod.Start `{start}` is not a date: {e}")))?;
    let lines = r.groups().iter().map(line).collect::<Result<_, _>>()?;
    Ok(PageDay { day, estimated: r.estimated(), lines })
}

fn line(g: &Group) -> Result<BillLine, SourceError> {
    let [service, usage_type] = g.keys() else {
        return Err(bad(API, format!("a group has keys {:?}, not [SERVICE, USAGE_TYPE]", g.keys())));
    };
    let metric = |name: &str| g.metrics().and_then(|m| m.get(name));
    let amount = |name: &str| -> Result<(Decimal, String), SourceError> {
        let Some(m) = metric(name) else { return Ok((Decimal::ZERO, String::new())) };
        let text = m.amount().unwrap_or("0");
        // Exact from the decimal string; some amounts come in E-notation.
        let value = Decimal::from_str_exact(text)
            .or_else(|_| Decimal::from_scientific(text))
            .map_err(|e| bad(API, format!("{name} of {usage_type}: `{text}` is not a number: {e}")))?;
        Ok((value, m.unit().unwrap_or_default().to_string()))
    };
    let (usd, _) = amount(COST)?;
    let (quantity, unit) = amount(QUANTITY)?;
    Ok(BillLine { service: service.clone(), usage_type: usage_type.clone(), usd, quantity, unit })
}
