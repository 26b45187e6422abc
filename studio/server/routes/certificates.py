"""The server's certificate authority over HTTP: its root as PEM, device signing certificates issued to a
logged-in device from a CSR (the device keeps its private key), the account's list of them, recording one
issued before certificates were recorded, revoking one, and the CRL that publishes every revoked one,
signed by the root."""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import UTC, datetime
from typing import Any, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import Select, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from studio.protocol import api
from studio.protocol.ids import certificate_serial
from studio.server import schema
from studio.server.auth import Caller, CallerDep, iso
from studio.server.ca import ISSUE_BACKDATE, CertificateAuthority, CertificateRefused, CsrRefused, pem
from studio.server.context import Ctx
from studio.server.errors import ProblemError, not_found
from studio.server.routes.docs import problems as responses

router = APIRouter(tags=["certificates"])
log = logging.getLogger("studio.server")
_MAX_CSR = 8192
SERIAL_PATTERN = r"^[0-9a-f]{1,40}$"
DER_TYPE = "application/pkix-crl"
PEM_TYPE = "application/x-pem-file"


class CertificateIn(BaseModel):
    csr: str = Field(max_length=_MAX_CSR, description="a PEM certificate request for an EC P-256 key")


class CertificateOut(BaseModel):
    certificate: str = Field(description="the device certificate, PEM")
    chain: str = Field(description="the device certificate then the root, PEM: what a C2PA signer embeds")
    account: str
    not_after: str
    serial: str = Field(description="the certificate's serial number, lowercase hex")


class CertificateRecordIn(BaseModel):
    certificate: str = Field(max_length=_MAX_CSR, description="the device certificate, PEM")
    proof: str = Field(
        max_length=256,
        description="base64 of the certificate key's ECDSA signature (SHA-256, DER) over the record proof of "
        "this serial and the calling device: only the device holding the key may record it",
    )


class CertificateInfo(BaseModel):
    serial: str = Field(description="lowercase hex, as the CRL and `DELETE /v1/certificates/{serial}` do")
    device_id: str
    device_name: str = Field(description="the name the device logged in with; empty once it is unknown")
    issued_at: str
    expires_at: str
    revoked_at: str | None = Field(description="when it was revoked; null while it is good")
    current: bool = Field(description="issued to the device making this request")


def _ca(request: Request) -> CertificateAuthority:
    ca: CertificateAuthority = request.app.state.ca
    return ca


@router.get(
    api.CA,
    response_class=Response,
    responses={200: {"content": {PEM_TYPE: {}}, "description": "the root certificate"}},
)
def root_certificate(request: Request) -> Response:
    return Response(_ca(request).root_pem, media_type=PEM_TYPE)


@router.post(api.CERTIFICATES, status_code=201, response_model=CertificateOut, responses=responses(401))
def issue_certificate(body: CertificateIn, caller: CallerDep, request: Request, ctx: Ctx) -> CertificateOut:
    ca = _ca(request)
    try:
        cert = ca.issue(body.csr, account_id=caller.account_id, username=caller.username)
    except CsrRefused as exc:
        raise ProblemError(422, str(exc)) from None
    serial = certificate_serial(cert.serial_number)
    with ctx.db.write() as conn:  # recorded before it is handed out, so it can always be revoked
        conn.execute(insert(schema.certificates).values(_row(cert, serial, caller)))
    log.info("issued signing certificate %s to %s (device %s)", serial, caller.username, caller.device_id)
    return CertificateOut(
        certificate=pem(cert),
        chain=pem(cert) + ca.root_pem,
        account=caller.username,
        not_after=iso(cert.not_valid_after_utc.timestamp()),
        serial=serial,
    )


def _row(cert: x509.Certificate, serial: str, caller: Caller) -> dict[str, Any]:
    """The `certificates` row of a certificate issued to the calling device, not revoked."""
    return {
        "serial": serial,
        "account_id": caller.account_id,
        "device_id": caller.device_id,
        "issued_at": (cert.not_valid_before_utc + ISSUE_BACKDATE).timestamp(),
        "expires_at": cert.not_valid_after_utc.timestamp(),
        "revoked_at": None,
    }


@router.get(api.CERTIFICATES, response_model=list[CertificateInfo], responses=responses(401))
def list_certificates(caller: CallerDep, ctx: Ctx) -> list[CertificateInfo]:
    """The signing certificates issued to the caller's account, newest first, revoked ones included."""
    c = schema.certificates
    with ctx.db.read() as conn:
        mine = _with_device_names().where(c.c.account_id == caller.account_id)
        rows = conn.execute(mine.order_by(c.c.issued_at.desc(), c.c.serial)).all()
    return [_info(r, caller) for r in rows]


def _info(row: Any, caller: Caller) -> CertificateInfo:
    """A `certificates` row joined with its device's name (`name`), as the caller sees it."""
    return CertificateInfo(
        serial=row.serial,
        device_id=row.device_id,
        device_name=row.name or "",
        issued_at=iso(row.issued_at),
        expires_at=iso(row.expires_at),
        revoked_at=iso(row.revoked_at) if row.revoked_at is not None else None,
        current=row.device_id == caller.device_id,
    )


def _with_device_names() -> Select[Any]:
    """Certificates with the name of the device each was issued to (`name`, None once it is gone)."""
    c, t = schema.certificates, schema.tokens
    return select(c, t.c.name).select_from(c.outerjoin(t, t.c.id == c.c.device_id))


def _listed(conn: Connection, serial: str) -> Any:
    return conn.execute(_with_device_names().where(schema.certificates.c.serial == serial)).first()


@router.put(api.CERTIFICATE, response_model=CertificateInfo, responses=responses(401, 403))
def record_certificate(
    body: CertificateRecordIn,
    caller: CallerDep,
    request: Request,
    response: Response,
    ctx: Ctx,
    serial: str = Path(pattern=SERIAL_PATTERN),
) -> CertificateInfo:
    """Record, as the calling device's, a certificate this root issued before every issue was recorded
    (server migration 0011), so that revoking the device or the serial revokes it too. 201 when recorded
    now, 200 when it already was. Refused: a certificate another root signed, one naming another account
    (403), a serial that is not the certificate's, a proof its key did not sign."""
    try:
        cert = _ca(request).issued_here(body.certificate)
    except CertificateRefused as exc:
        raise ProblemError(422, str(exc)) from None
    serial = serial.lstrip("0") or "0"
    if certificate_serial(cert.serial_number) != serial:
        raise ProblemError(422, f"serial: {serial} is not the certificate's serial")
    if [a.value for a in cert.subject.get_attributes_for_oid(NameOID.USER_ID)] != [caller.account_id]:
        raise ProblemError(403, "certificate: it names another account")
    _check_proof(cert, body.proof, api.certificate_record_proof(serial, caller.device_id))
    try:
        with ctx.db.write() as conn:
            if _listed(conn, serial) is None:
                conn.execute(insert(schema.certificates).values(_row(cert, serial, caller)))
                response.status_code = 201
                log.info("recorded certificate %s of %s", serial, caller.username)
    except IntegrityError:
        pass  # recorded by a request that ran at the same time
    with ctx.db.read() as conn:
        return _info(_listed(conn, serial), caller)


def _check_proof(cert: x509.Certificate, proof: str, message: bytes) -> None:
    public = cert.public_key()
    try:
        signature = base64.b64decode(proof, validate=True)
        if not isinstance(public, ec.EllipticCurvePublicKey):
            raise InvalidSignature
        public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except (binascii.Error, ValueError, InvalidSignature):
        raise ProblemError(
            422, "proof: not signed by the certificate's key for this serial and this device"
        ) from None


@router.delete(api.CERTIFICATE, status_code=204, responses=responses(401, 404))
def revoke_certificate(
    caller: CallerDep, ctx: Ctx, serial: str = Path(pattern=SERIAL_PATTERN)
) -> Response:
    """Revoke one of the caller's certificates (its key was lost or stolen). Another account's serial is
    answered exactly as an unknown one. Revoking a revoked certificate keeps its first date."""
    c = schema.certificates
    serial = serial.lstrip("0") or "0"
    with ctx.db.write() as conn:
        owned = conn.execute(
            select(c.c.revoked_at).where(c.c.serial == serial, c.c.account_id == caller.account_id)
        ).first()
        if owned is None:
            raise not_found(f"certificate {serial}")
        if owned.revoked_at is None:
            conn.execute(update(c).where(c.c.serial == serial).values(revoked_at=ctx.clock.now()))
    log.info("revoked signing certificate %s of %s", serial, caller.username)
    return Response(status_code=204)


def revoke_device_certificates(conn: Connection, account_id: str, device_id: str, now: float) -> None:
    """Revoke the certificates issued to a device, in the caller's transaction (the device's revocation)."""
    c = schema.certificates
    conn.execute(
        update(c)
        .where(c.c.account_id == account_id, c.c.device_id == device_id, c.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


@router.get(
    api.CRL,
    response_class=Response,
    responses={
        200: {
            "content": {DER_TYPE: {}, PEM_TYPE: {}},
            "description": "the X.509 CRL of every revoked signing certificate, signed by the root "
            "(`GET /v1/ca`); current for a day (next_update)",
        },
        **responses(),
    },
)
def revocation_list(
    request: Request,
    ctx: Ctx,
    encoding: Literal["der", "pem"] = Query(
        "der", alias="format", description="DER (application/pkix-crl, the default) or PEM"
    ),
) -> Response:
    c = schema.certificates
    with ctx.db.read() as conn:
        rows = conn.execute(
            select(c.c.serial, c.c.revoked_at).where(c.c.revoked_at.is_not(None)).order_by(c.c.revoked_at)
        ).all()
    now = datetime.fromtimestamp(ctx.clock.now(), UTC)
    revoked = ((int(r.serial, 16), datetime.fromtimestamp(r.revoked_at, UTC)) for r in rows)
    crl = _ca(request).crl(revoked, now)
    if encoding == "pem":
        return Response(crl.public_bytes(serialization.Encoding.PEM), media_type=PEM_TYPE)
    return Response(crl.public_bytes(serialization.Encoding.DER), media_type=DER_TYPE)
