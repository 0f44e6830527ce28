//! Tenant pinning in the forwarder: which tenant GUID a tenant's tokens and
//! alerts must carry, kept in its checkpoints.
//!
//! A tenant configured by GUID is pinned to it. A tenant configured by
//! domain is pinned on first start to the `tid` of its first token, and the
//! GUID is saved in every checkpoint of the tenant; from then on a token
//! from any other tenant fails the tenant's poll (the domain may have been
//! dropped by the customer and verified by someone else), and an alert whose
//! `aadTenantId` names another tenant is set aside, never delivered under
//! this tenant's name.

use tracing::{info, warn};

use super::Inner;
use crate::checkpoint::Checkpoint;
use crate::error::{Error, Result};
use crate::models::Alert;
use crate::tenant::{TenantId, TenantInfo};

impl Inner {
    /// Decides the GUID `tenant` is pinned to, checking the source's token
    /// against it, and tells the source. `checkpoints` are the tenant's
    /// loaded checkpoints; those of a domain pinned just now get the GUID
    /// (the caller saves them). `None` when nothing tells the GUID (a
    /// domain whose source cannot name its token's tenant).
    pub(super) async fn tenant_pin<'c>(
        &self,
        tenant: &TenantInfo,
        checkpoints: impl Iterator<Item = &'c mut Checkpoint>,
    ) -> Result<Option<String>> {
        let mut checkpoints: Vec<&mut Checkpoint> = checkpoints.collect();
        let stored = stored_pin(&tenant.id, &checkpoints)?;
        let expected = if tenant.id.is_guid() {
            Some(tenant.id.as_str().to_ascii_lowercase())
        } else {
            stored
        };
        let token_tenant = self.source.token_tenant(&tenant.id).await?;
        let pin = match (expected, token_tenant) {
            (Some(expected), Some(found)) if !expected.eq_ignore_ascii_case(&found) => {
                return Err(Error::WrongTenant {
                    tenant: tenant.id.clone(),
                    expected,
                    token_tenant: found,
                });
            }
            (Some(expected), _) => expected,
            (None, Some(found)) if crate::tenant::is_guid(&found) => {
                info!(guid = %found, "pinning this tenant to the tenant GUID of its first token");
                found.to_ascii_lowercase()
            }
            (None, Some(found)) => {
                warn!(tid = %found, "the token's tid is not a GUID; the tenant stays unpinned");
                return Ok(None);
            }
            (None, None) => return Ok(None),
        };
        if !tenant.id.is_guid() {
            for checkpoint in checkpoints.iter_mut() {
                checkpoint.pinned_tenant = Some(pin.clone());
            }
        }
        self.source.pin_tenant(&tenant.id, &pin)?;
        Ok(Some(pin))
    }
}

/// The one GUID the tenant's checkpoints are pinned to, if any; checkpoints
/// that disagree are an error (someone edited them, or two configurations
/// share a directory).
fn stored_pin(tenant: &TenantId, checkpoints: &[&mut Checkpoint]) -> Result<Option<String>> {
    let mut pins = checkpoints
        .iter()
        .filter_map(|c| c.pinned_tenant.as_deref());
    let Some(first) = pins.next() else {
        return Ok(None);
    };
    if let Some(other) = pins.find(|p| !p.eq_ignore_ascii_case(first)) {
        return Err(Error::Checkpoint {
            key: format!("tenant {tenant}"),
            message: format!(
                "its checkpoints pin it to two tenants, {first} and {other}; remove the wrong ones"
            ),
        });
    }
    Ok(Some(first.to_ascii_lowercase()))
}

/// The other tenant an alert names, when it names one that is not `pin`.
pub(super) fn foreign_tenant<'a>(alert: &'a Alert, pin: Option<&str>) -> Option<&'a str> {
    let pin = pin?;
    alert
        .aad_tenant_id
        .as_deref()
        .filter(|tid| !tid.is_empty() && !tid.eq_ignore_ascii_case(pin))
}
