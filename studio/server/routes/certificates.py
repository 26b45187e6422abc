"""The server's certificate authority over HTTP: its root as PEM, and device signing certificates
issued to a logged-in device from a CSR (the device keeps its private key)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from studio.protocol import api
from studio.server.auth import CallerDep
from studio.server.ca import CertificateAuthority, CsrRefused, pem
from studio.server.errors import ProblemError
from studio.server.routes.docs import problems as responses

router = APIRouter(tags=["certificates"])
log = logging.getLogger("studio.server")
_MAX_CSR = 8192


class CertificateIn(BaseModel):
    csr: str = Field(max_length=_MAX_CSR, description="a PEM certificate request for an EC P-256 key")


class CertificateOut(BaseModel):
    certificate: str = Field(description="the device certificate, PEM")
    chain: str = Field(description="the device certificate then the root, PEM: what a C2PA signer embeds")
    account: str
    not_after: str


def _ca(request: Request) -> CertificateAuthority:
    ca: CertificateAuthority = request.app.state.ca
    return ca


@router.get(
    api.CA,
    response_class=Response,
    responses={200: {"content": {"application/x-pem-file": {}}, "description": "the root certificate"}},
)
def root_certificate(request: Request) -> Response:
    return Response(_ca(request).root_pem, media_type="application/x-pem-file")


@router.post(api.CERTIFICATES, status_code=201, response_model=CertificateOut, responses=responses(401))
def issue_certificate(body: CertificateIn, caller: CallerDep, request: Request) -> CertificateOut:
    ca = _ca(request)
    try:
        cert = ca.issue(body.csr, account_id=caller.account_id, username=caller.username)
    except CsrRefused as exc:
        raise ProblemError(422, str(exc)) from None
    log.info("issued a signing certificate to %s (device %s)", caller.username, caller.device_id)
    return CertificateOut(
        certificate=pem(cert),
        chain=pem(cert) + ca.root_pem,
        account=caller.username,
        not_after=cert.not_valid_after_utc.isoformat(timespec="seconds").replace("+00:00", "Z"),
    )
