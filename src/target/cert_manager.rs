//! cert-manager resources (`cert-manager.io/v1`): `Certificate`.
//!
//! In: nothing (types only). Out: the subset of the Certificate CRD rkv writes.
//! Invariant: field names are the CRD's, absent options are not serialized; the key
//! material never passes through rkv, only the name of the Secret cert-manager fills.

use serde::Serialize;

use super::{Cr, Resource};

pub const API_VERSION: &str = "cert-manager.io/v1";

/// A certificate cert-manager issues into `spec.secretName` (`tls.crt`, `tls.key`, `ca.crt`).
pub type Certificate = Cr<CertificateSpec>;

impl Resource for CertificateSpec {
    const API_VERSION: &'static str = API_VERSION;
    const KIND: &'static str = "Certificate";
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateSpec {
    pub secret_name: String,
    pub issuer_ref: IssuerRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_names: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ip_addresses: Vec<String>,
    /// `server auth`, `client auth`, ...
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub usages: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_key: Option<PrivateKey>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerRef {
    pub name: String,
    pub kind: String,
    pub group: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateKey {
    /// `Always`: a renewal gets a fresh key.
    pub rotation_policy: String,
    pub algorithm: String,
    pub size: u32,
}
