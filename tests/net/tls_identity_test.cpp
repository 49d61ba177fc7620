// The introspection identity is loaded at start-up as CAF's openssl module would load it on the first
// connection: each unusable file is named, and an encrypted key is refused without a passphrase prompt.
#include "net/tls.hpp"
#include "sim/deribit_sim.hpp"
#include "support/temp_file.hpp"

#include <gtest/gtest.h>

using derivcache::net::check_tls_identity;
using file = derivcache::net::tls_identity_problem::file;

namespace {

const std::string certs = derivcache::sim::default_cert_dir() + "/";

} // namespace

TEST(TlsIdentity, TheTestNodeIdentityIsUsable) {
  auto p = check_tls_identity(certs + "node.pem", certs + "node.key", certs + "ca.pem");
  EXPECT_EQ(p.which, file::none) << p.message;
}

TEST(TlsIdentity, EachUnusableFileIsNamed) {
  derivcache::test::temp_file text{".pem", "not a certificate, not a key\n"};
  struct bad_case {
    std::string cert, key, ca;
    file which;
    std::string message;
  };
  const std::vector<bad_case> cases = {
    {text.path, certs + "node.key", certs + "ca.pem", file::certificate, "'" + text.path + "' is not a PEM certificate"},
    {certs + "node.pem", text.path, certs + "ca.pem", file::key, "'" + text.path + "' is not a PEM private key"},
    {certs + "node.pem", certs + "server.key", certs + "ca.pem", file::key,
     "'" + certs + "server.key' does not match the certificate '" + certs + "node.pem'"},
    {certs + "node.pem", certs + "node_encrypted.key", certs + "ca.pem", file::key,
     "'" + certs + "node_encrypted.key' is encrypted: derivcache never asks for a passphrase"},
    {certs + "node.pem", certs + "node.key", text.path, file::ca, "'" + text.path + "' holds no PEM certificate"},
  };
  for (const auto& c : cases) {
    auto p = check_tls_identity(c.cert, c.key, c.ca);
    EXPECT_EQ(p.which, c.which) << c.message;
    EXPECT_EQ(p.message.rfind(c.message, 0), 0u) << p.message;
  }
}
