//! `create-table`: the development path to the DynamoDB store. `run` refuses
//! to start without its table (right for production, where Terraform creates
//! it); this creates it with the documented key schema and TTL, for trials
//! and the local emulator. Idempotent: an existing table is left as it is.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use super::CliError;
use crate::clock::Clock;
use crate::config::StoreKind;

pub fn run(config: &Path, clock: &dyn Clock, out: &mut dyn Write) -> Result<ExitCode, CliError> {
    let Some(loaded) = super::load_reporting(config, clock.now())? else { return Ok(ExitCode::FAILURE) };
    if loaded.config.store.kind != StoreKind::Dynamodb {
        return Err(CliError::Argument {
            arg: "config",
            reason: format!(
                "{}: store.kind is not \"dynamodb\": there is no table to create",
                config.display()
            ),
        });
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (table, region, created) = runtime.block_on(crate::app::create_table(&loaded))?;
    match created {
        true => writeln!(out, "created DynamoDB table {table} in {region} (pk S hash key, sk S range key, TTL on expires_at, on-demand)")?,
        false => writeln!(out, "DynamoDB table {table} in {region} already exists; left as it is")?,
    }
    Ok(ExitCode::SUCCESS)
}
