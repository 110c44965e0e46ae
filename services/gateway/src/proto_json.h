#pragma once

#include <set>
#include <string>
#include <string_view>

#include <google/protobuf/message.h>

#include "absl/status/status.h"
#include "cityops/common/http.h"

// Between HTTP and the services' messages, following the Protobuf JSON
// mapping (lowerCamelCase names, or the proto names; enums by name;
// timestamps in RFC 3339).
namespace cityops::gateway {

// A JSON body into `message` (merged over what it holds). An empty body is
// an empty object. INVALID_ARGUMENT for malformed JSON, a wrong type or an
// unknown field, with the parser's reason.
absl::Status ParseJsonBody(std::string_view body, google::protobuf::Message* message);

// Query parameters into `message`: a name is a field's JSON or proto name,
// nested fields dotted ("bbox.minLat"), a repeated field takes the name
// several times or a comma-separated list. Names in `skip` are ignored.
// INVALID_ARGUMENT naming the parameter when it is unknown or its value does
// not fit the field's type.
absl::Status MergeQuery(const common::FormFields& query, google::protobuf::Message* message,
                        const std::set<std::string, std::less<>>& skip = {});

// Sets the string field at `path` (proto names, dotted for nested fields).
// INTERNAL when the message has no such string field (a route table error).
absl::Status SetStringField(google::protobuf::Message* message, std::string_view path, const std::string& value);
// The string field at `path`, empty when absent.
std::string GetStringField(const google::protobuf::Message& message, std::string_view path);

// The message as JSON, every field present (defaults included).
std::string ToJson(const google::protobuf::Message& message);

}  // namespace cityops::gateway
