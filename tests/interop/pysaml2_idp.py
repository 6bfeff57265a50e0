#!/usr/bin/env python3
"""python3-pysaml2 as an independent SAML 2.0 IdP for tests/interop/saml.test.mjs (issue 8).

Reads one JSON object on stdin, answers one JSON object on stdout:
  in:  mode ("metadata": answer the IdP metadata only), workdir, entity_id, sso_redirect, sso_post, key_file, cert_file (the IdP's PEM files),
       sp_metadata (Gatehouse's SP metadata XML), binding ("redirect" | "post"),
       saml_request, relay_state, sig_alg, signature (HTTP-Redirect's query parameters),
       email, subject, encrypt ("none" | "pysaml2" | "aes256-gcm" | "aes128-cbc")
  out: request_id, request_signature_verified, saml_response (base64), encryption (algorithm)

pysaml2 parses the AuthnRequest and checks its signature against the SP metadata's certificate
(the XML signature for HTTP-POST; the query signature for HTTP-Redirect), then builds and signs
the Response with xmlsec1. Encryption: pysaml2 7.0 always uses its pre_encryption_part() default,
3DES-CBC content with a des-192 session key, and has no setting for it; "aes256-gcm" and
"aes128-cbc" swap that template (and the session key size) for pysaml2's own encryption call.
"""
import base64
import functools
import json
import os
import sys

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2 import entity as saml2_entity
from saml2 import sigver
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_BASIC, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server

RSA_OAEP = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
CONTENT = {
    "aes256-gcm": ("http://www.w3.org/2009/xmlenc11#aes256-gcm", "aes-256"),
    "aes128-cbc": ("http://www.w3.org/2001/04/xmlenc#aes128-cbc", "aes-128"),
}


def cert_body(pem):
    return "".join(line for line in pem.splitlines() if line and not line.startswith("-----"))


def load_config(a):
    metadata = {}
    if a.get("sp_metadata"):
        sp_md = os.path.join(a["workdir"], "pysaml2-sp-metadata.xml")
        with open(sp_md, "w") as f:
            f.write(a["sp_metadata"])
        metadata = {"local": [sp_md]}
    conf = IdPConfig()
    conf.load({
        "entityid": a["entity_id"],
        "service": {"idp": {
            "endpoints": {"single_sign_on_service": [
                (a["sso_redirect"], BINDING_HTTP_REDIRECT), (a["sso_post"], BINDING_HTTP_POST)]},
            "name_id_format": [NAMEID_FORMAT_PERSISTENT],
            # pysaml2 7.0 would want an XML signature inside a Redirect-bound request too (SAML
            # bindings §3.4.4.1 signs the query instead): the query signature is checked below.
            "want_authn_requests_signed": a.get("binding") == "post",
            "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None,
                                   "name_form": NAME_FORMAT_BASIC}},
        }},
        "key_file": a["key_file"],
        "cert_file": a["cert_file"],
        "metadata": metadata,
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "signing_algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "digest_algorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
        "accepted_time_diff": 60,
    })
    return conf


def main():
    a = json.load(sys.stdin)
    conf = load_config(a)
    if a.get("mode") == "metadata":
        # The IdP's own metadata, as pysaml2 writes it (entity ID, SSO endpoints, certificate).
        json.dump({"metadata": str(entity_descriptor(conf))}, sys.stdout)
        return
    idp = Server(config=conf)

    if a["binding"] == "post":
        # SAML bindings §3.5: the enveloped XML signature, verified with the SP metadata's key.
        req = idp.parse_authn_request(a["saml_request"], BINDING_HTTP_POST)
        xml = base64.b64decode(a["saml_request"]).decode("utf-8")
        # Raises SignatureError unless the signature verifies with the SP metadata's key.
        verified = bool(req.message.signature) and bool(
            idp.sec.correctly_signed_authn_request(xml, must=True))
    else:
        req = idp.parse_authn_request(a["saml_request"], BINDING_HTTP_REDIRECT)
        sp_entity = req.message.issuer.text
        certs = idp.metadata.certs(sp_entity, "spsso", "signing")
        query = {"SAMLRequest": a["saml_request"], "RelayState": a["relay_state"],
                 "SigAlg": a["sig_alg"], "Signature": a["signature"]}
        verified = bool(certs) and any(
            sigver.verify_redirect_signature(query, sigver.RSACrypto(None), cert=c) for c in certs)
    authn_request = req.message

    encryption = None
    kwargs = {}
    if a["encrypt"] != "none":
        sp_entity = authn_request.issuer.text
        enc_certs = idp.metadata.certs(sp_entity, "spsso", "encryption")
        kwargs = {"encrypt_assertion": True, "encrypt_cert_assertion": enc_certs[0]}
        encryption = "http://www.w3.org/2001/04/xmlenc#tripledes-cbc"
        if a["encrypt"] in CONTENT:
            algorithm, session_key = CONTENT[a["encrypt"]]
            encryption = algorithm
            saml2_entity.pre_encryption_part = functools.partial(
                sigver.pre_encryption_part, msg_enc=algorithm, key_enc=RSA_OAEP)
            original = idp.sec.encrypt_assertion
            idp.sec.encrypt_assertion = functools.partial(original, key_type=session_key)

    args = idp.response_args(authn_request)
    response = idp.create_authn_response(
        identity={"email": [a["email"]], "firstName": ["Py"], "lastName": ["Saml"]},
        userid=a["subject"],
        name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=a["subject"]),
        authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
               "authn_auth": a["entity_id"]},
        sign_response=False,
        sign_assertion=True,
        # pysaml2 7.0 signs with RSA-SHA1/SHA-1 unless told per call (the config keys are not
        # read here); Gatehouse refuses SHA-1 by default.
        sign_alg="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        digest_alg="http://www.w3.org/2001/04/xmlenc#sha256",
        **kwargs,
        **args,
    )
    json.dump({
        "request_id": authn_request.id,
        "request_signature_verified": bool(verified),
        "saml_response": base64.b64encode(str(response).encode("utf-8")).decode("ascii"),
        "encryption": encryption,
    }, sys.stdout)


if __name__ == "__main__":
    main()
