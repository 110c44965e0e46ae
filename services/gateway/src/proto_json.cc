#include "proto_json.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cityops::gateway {

namespace pb = google::protobuf;

absl::Status ParseJsonBody(std::string_view body, pb::Message* message) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return absl::OkStatus();
  if (!common::IsValidUtf8(body)) return absl::InvalidArgumentError("the body is not valid UTF-8");
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = pb::util::JsonStringToMessage(std::string(body), message, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("malformed JSON body: ", std::string(status.message())));
  }
  return absl::OkStatus();
}

namespace {

const pb::FieldDescriptor* FindField(const pb::Descriptor& descriptor, std::string_view name) {
  const std::string key(name);
  if (const auto* field = descriptor.FindFieldByName(key)) return field;
  for (int i = 0; i < descriptor.field_count(); ++i) {
    if (descriptor.field(i)->json_name() == key) return descriptor.field(i);
  }
  return nullptr;
}

absl::Status BadValue(std::string_view parameter, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("query parameter ", std::string(parameter), ": ", std::string(why)));
}

template <typename Int>
absl::StatusOr<Int> ParseInt(std::string_view text, std::string_view parameter) {
  int64_t wide = 0;
  uint64_t uwide = 0;
  if constexpr (std::numeric_limits<Int>::is_signed) {
    if (!absl::SimpleAtoi(std::string(text), &wide) || wide < std::numeric_limits<Int>::min() ||
        wide > std::numeric_limits<Int>::max()) {
      return BadValue(parameter, "expected an integer");
    }
    return static_cast<Int>(wide);
  } else {
    if (!absl::SimpleAtoi(std::string(text), &uwide) || uwide > std::numeric_limits<Int>::max()) {
      return BadValue(parameter, "expected a non-negative integer");
    }
    return static_cast<Int>(uwide);
  }
}

// One value into a field (appended when repeated).
absl::Status SetValue(pb::Message* message, const pb::FieldDescriptor* field, std::string_view text,
                      std::string_view parameter) {
  const pb::Reflection* reflection = message->GetReflection();
  const bool repeated = field->is_repeated();
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      if (field->type() == pb::FieldDescriptor::TYPE_BYTES) return BadValue(parameter, "bytes are not taken here");
      const std::string value(text);
      repeated ? reflection->AddString(message, field, value) : reflection->SetString(message, field, value);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_BOOL: {
      bool value = false;
      if (text == "true") {
        value = true;
      } else if (text != "false") {
        return BadValue(parameter, "expected true or false");
      }
      repeated ? reflection->AddBool(message, field, value) : reflection->SetBool(message, field, value);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_INT32: {
      auto value = ParseInt<int32_t>(text, parameter);
      if (!value.ok()) return value.status();
      repeated ? reflection->AddInt32(message, field, *value) : reflection->SetInt32(message, field, *value);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_INT64: {
      auto value = ParseInt<int64_t>(text, parameter);
      if (!value.ok()) return value.status();
      repeated ? reflection->AddInt64(message, field, *value) : reflection->SetInt64(message, field, *value);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_UINT32: {
      auto value = ParseInt<uint32_t>(text, parameter);
      if (!value.ok()) return value.status();
      repeated ? reflection->AddUInt32(message, field, *value) : reflection->SetUInt32(message, field, *value);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_UINT64: {
      auto value = ParseInt<uint64_t>(text, parameter);
      if (!value.ok()) return value.status();
      repeated ? reflection->AddUInt64(message, field, *value) : reflection->SetUInt64(message, field, *value);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
    case pb::FieldDescriptor::CPPTYPE_FLOAT: {
      double value = 0;
      if (!absl::SimpleAtod(std::string(text), &value) || !std::isfinite(value)) {
        return BadValue(parameter, "expected a number");
      }
      if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_FLOAT) {
        const auto narrow = static_cast<float>(value);
        repeated ? reflection->AddFloat(message, field, narrow) : reflection->SetFloat(message, field, narrow);
      } else {
        repeated ? reflection->AddDouble(message, field, value) : reflection->SetDouble(message, field, value);
      }
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      const pb::EnumValueDescriptor* value = field->enum_type()->FindValueByName(std::string(text));
      if (value == nullptr) {
        int32_t number = 0;
        if (absl::SimpleAtoi(std::string(text), &number)) value = field->enum_type()->FindValueByNumber(number);
      }
      if (value == nullptr) {
        return BadValue(parameter, absl::StrCat("not a value of ", field->enum_type()->name()));
      }
      repeated ? reflection->AddEnum(message, field, value) : reflection->SetEnum(message, field, value);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
      if (field->message_type()->full_name() != pb::Timestamp::descriptor()->full_name() || repeated) {
        return BadValue(parameter, "name a field inside it (dotted)");
      }
      pb::Timestamp time;
      if (!pb::util::TimeUtil::FromString(std::string(text), &time)) {
        return BadValue(parameter, "expected an RFC 3339 time such as 2026-11-26T08:00:00Z");
      }
      reflection->MutableMessage(message, field)->CopyFrom(time);
      return absl::OkStatus();
    }
  }
  return BadValue(parameter, "unsupported field type");
}

}  // namespace

absl::Status MergeQuery(const common::FormFields& query, pb::Message* message,
                        const std::set<std::string, std::less<>>& skip) {
  for (const auto& [name, value] : query) {
    if (skip.contains(name)) continue;
    pb::Message* target = message;
    const pb::FieldDescriptor* field = nullptr;
    const std::vector<std::string> parts = absl::StrSplit(name, '.');
    for (size_t i = 0; i < parts.size(); ++i) {
      field = FindField(*target->GetDescriptor(), parts[i]);
      if (field == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown query parameter ", name));
      if (i + 1 < parts.size()) {
        if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE || field->is_repeated()) {
          return absl::InvalidArgumentError(absl::StrCat("unknown query parameter ", name));
        }
        target = target->GetReflection()->MutableMessage(target, field);
      }
    }
    if (field->is_repeated() && field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      for (const absl::string_view item : absl::StrSplit(value, ',')) {
        if (auto status = SetValue(target, field, std::string_view(item.data(), item.size()), name); !status.ok()) {
          return status;
        }
      }
    } else if (auto status = SetValue(target, field, value, name); !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status SetStringField(pb::Message* message, std::string_view path, const std::string& value) {
  pb::Message* target = message;
  const std::vector<std::string> parts = absl::StrSplit(std::string(path), '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const pb::FieldDescriptor* field = target->GetDescriptor()->FindFieldByName(parts[i]);
    if (field == nullptr || field->is_repeated()) {
      return absl::InternalError(absl::StrCat(target->GetDescriptor()->full_name(), " has no field ", parts[i]));
    }
    if (i + 1 < parts.size()) {
      if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
        return absl::InternalError(absl::StrCat(parts[i], " is not a message"));
      }
      target = target->GetReflection()->MutableMessage(target, field);
    } else {
      if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_STRING) {
        return absl::InternalError(absl::StrCat(parts[i], " is not a string"));
      }
      target->GetReflection()->SetString(target, field, value);
    }
  }
  return absl::OkStatus();
}

std::string GetStringField(const pb::Message& message, std::string_view path) {
  const pb::Message* target = &message;
  const std::vector<std::string> parts = absl::StrSplit(std::string(path), '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const pb::FieldDescriptor* field = target->GetDescriptor()->FindFieldByName(parts[i]);
    if (field == nullptr || field->is_repeated()) return {};
    if (i + 1 < parts.size()) {
      if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) return {};
      target = &target->GetReflection()->GetMessage(*target, field);
    } else {
      if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_STRING) return {};
      return target->GetReflection()->GetString(*target, field);
    }
  }
  return {};
}

std::string ToJson(const pb::Message& message) {
  pb::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string out;
  if (!pb::util::MessageToJsonString(message, &out, options).ok()) return "{}";
  return out;
}

}  // namespace cityops::gateway
