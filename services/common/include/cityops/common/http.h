#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

// Plain HTTP request and response values, independent of the server that
// carries them, and the decoding of URLs and HTML forms.
namespace cityops::common {

// Orders header names without regard to ASCII case ("Content-Type" ==
// "content-type").
struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

using HttpHeaders = std::map<std::string, std::string, CaseInsensitiveLess>;

// Decoded form or query fields, ordered by name; the values of a repeated name
// keep the order in which they came.
using FormFields = std::multimap<std::string, std::string>;

// Percent-decoding: "%XX" gives the byte XX (hexadecimal, either case); with
// `plus_as_space`, '+' gives ' ' (forms and query strings). A '%' not followed
// by two hexadecimal digits is INVALID_ARGUMENT.
absl::StatusOr<std::string> UrlDecode(std::string_view text, bool plus_as_space);

// application/x-www-form-urlencoded, as in a POST body or a query string:
// "a=1&b=x+y&a=2". Empty pairs ("a=1&&b") are skipped, a name without '='
// has the empty value; names and values are decoded with UrlDecode.
// INVALID_ARGUMENT for a malformed escape or an empty name ("=1").
absl::StatusOr<FormFields> ParseFormUrlEncoded(std::string_view text);

struct HttpRequest {
  std::string method;  // "GET", "POST"...
  std::string target;  // path and query as received ("/a/b.json?x=1")
  std::string path;    // the target before '?', not percent-decoded
  std::string query;   // the target after '?', not decoded; empty without one
  HttpHeaders headers;
  std::string body;
  std::string peer;  // the client's "address:port"

  // A header's value; empty when absent. Repeated headers are joined with ", ".
  std::string_view Header(std::string_view name) const;
  // The query decoded (ParseFormUrlEncoded); INVALID_ARGUMENT when malformed.
  absl::StatusOr<FormFields> QueryFields() const { return ParseFormUrlEncoded(query); }
};

// The body of a response that goes on after its headers (Server-Sent
// Events): the server asks it for more every few tens of milliseconds, from
// one of its threads, and writes what it gives. It must not block.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // What to send now (empty: nothing yet), or nullopt when the stream is over
  // (the connection is then closed).
  virtual std::optional<std::string> Next() = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Headers besides Content-Type, Content-Length, Connection and Server.
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, `body` is sent first and then what the stream gives until it
  // ends, the client goes away or the server stops; no Content-Length, and
  // the connection is closed at the end.
  std::shared_ptr<ResponseStream> stream;
};

// Percent-encodes every byte but unreserved ones (A-Z a-z 0-9 - . _ ~).
std::string UrlEncode(std::string_view text);

// The first value of a field; nullptr when absent.
const std::string* FindField(const FormFields& fields, const std::string& name);

// {"code": <status>, "message": "<message>"}: the body of the errors the
// server itself answers (413, 431, 500...).
std::string JsonErrorBody(int status, std::string_view message);

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates).
bool IsValidUtf8(std::string_view text);

}  // namespace cityops::common
