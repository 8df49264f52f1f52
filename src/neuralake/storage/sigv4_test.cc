// SigV4 against AWS's published vectors: the aws-sig-v4-test-suite (service "service", region
// us-east-1, 2015-08-30) and the S3 GET-with-Range example from the S3 API reference.
#include "neuralake/storage/sigv4.h"

#include <gtest/gtest.h>

namespace neuralake::storage::sigv4 {
namespace {

const Credentials kSuiteCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const char* kEmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(SigV4Test, GetVanilla) {
  Request request{"GET", "/", {},
                  {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
                  kEmptyHash};
  std::string signed_headers;
  EXPECT_EQ(CanonicalRequest(request, &signed_headers),
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n" + std::string(kEmptyHash));
  EXPECT_EQ(AuthorizationHeader(request, kSuiteCredentials, "us-east-1", "service",
                                "20150830T123600Z"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4Test, GetVanillaQueryOrderKeyCase) {
  Request request{"GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}},
                  {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
                  kEmptyHash};
  EXPECT_EQ(CanonicalQueryString(request.query), "Param1=value1&Param2=value2");
  EXPECT_NE(AuthorizationHeader(request, kSuiteCredentials, "us-east-1", "service",
                                "20150830T123600Z")
                .find("Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
            std::string::npos);
}

TEST(SigV4Test, S3GetObjectWithRange) {
  Credentials credentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  Request request{"GET", "/test.txt", {},
                  {{"Host", "examplebucket.s3.amazonaws.com"},
                   {"Range", "bytes=0-9"},
                   {"x-amz-content-sha256", kEmptyHash},
                   {"x-amz-date", "20130524T000000Z"}},
                  kEmptyHash};
  EXPECT_EQ(AuthorizationHeader(request, credentials, "us-east-1", "s3", "20130524T000000Z"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4Test, HeaderValuesAreTrimmedAndNamesLowered) {
  Request request{"GET", "/", {},
                  {{"My-Header1", "  value1  "}, {"My-Header2", "\"a   b   c\""},
                   {"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}},
                  kEmptyHash};
  std::string signed_headers;
  std::string canonical = CanonicalRequest(request, &signed_headers);
  EXPECT_EQ(signed_headers, "host;my-header1;my-header2;x-amz-date");
  EXPECT_NE(canonical.find("my-header1:value1\nmy-header2:\"a b c\"\n"), std::string::npos);
}

TEST(SigV4Test, UriEncoding) {
  EXPECT_EQ(UriEncode("a b/c+d=e~f", true), "a%20b/c%2Bd%3De~f");
  EXPECT_EQ(UriEncode("a/b", false), "a%2Fb");
  EXPECT_EQ(UriEncode("\xc3\xa9", true), "%C3%A9");
  EXPECT_EQ(Sha256Hex(""), kEmptyHash);
}

}  // namespace
}  // namespace neuralake::storage::sigv4
