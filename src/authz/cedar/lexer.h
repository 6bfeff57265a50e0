// The tokenizer shared by the policy parser and the human-readable schema parser.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace gh::cedar::detail {

enum class Tok : uint8_t {
  kEnd,
  kIdent,
  kString,
  kInt,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kLBrace,
  kRBrace,
  kComma,
  kSemi,
  kColon,
  kColonColon,
  kDot,
  kAt,
  kQuestion,
  kEqEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAndAnd,
  kOrOr,
  kBang,
  kMinus,
  kPlus,
  kStar,
  kEq,
  kError,
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string_view text;  // identifier, raw string body, digits, or the symbol
  int line = 1;
  int column = 1;
};

inline std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::kEnd:
      return "end of input";
    case Tok::kString:
      return "string \"" + std::string(t.text.substr(0, 40)) + "\"";
    case Tok::kError:
      return "invalid character '" + std::string(t.text) + "'";
    default:
      return "'" + std::string(t.text.substr(0, 40)) + "'";
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  Token next() {
    skip_space();
    Token t;
    t.line = line_;
    t.column = col_;
    if (pos_ >= src_.size()) return t;
    size_t start = pos_;
    char c = src_[pos_];
    auto single = [&](Tok k, size_t n) {
      t.kind = k;
      advance(n);
      t.text = src_.substr(start, n);
      return t;
    };
    if (is_ident_start(c)) {
      while (pos_ < src_.size() && is_ident_char(src_[pos_])) advance(1);
      t.kind = Tok::kIdent;
      t.text = src_.substr(start, pos_ - start);
      return t;
    }
    if (c >= '0' && c <= '9') {
      while (pos_ < src_.size() && src_[pos_] >= '0' && src_[pos_] <= '9') advance(1);
      t.kind = Tok::kInt;
      t.text = src_.substr(start, pos_ - start);
      return t;
    }
    if (c == '"') {
      advance(1);
      size_t body = pos_;
      while (pos_ < src_.size() && src_[pos_] != '"') {
        if (src_[pos_] == '\\' && pos_ + 1 < src_.size()) advance(1);
        advance(1);
      }
      if (pos_ >= src_.size()) {
        t.kind = Tok::kError;
        t.text = "\"";
        unterminated_ = true;
        return t;
      }
      t.kind = Tok::kString;
      t.text = src_.substr(body, pos_ - body);
      advance(1);
      return t;
    }
    char n = pos_ + 1 < src_.size() ? src_[pos_ + 1] : '\0';
    switch (c) {
      case '(':
        return single(Tok::kLParen, 1);
      case ')':
        return single(Tok::kRParen, 1);
      case '[':
        return single(Tok::kLBracket, 1);
      case ']':
        return single(Tok::kRBracket, 1);
      case '{':
        return single(Tok::kLBrace, 1);
      case '}':
        return single(Tok::kRBrace, 1);
      case ',':
        return single(Tok::kComma, 1);
      case ';':
        return single(Tok::kSemi, 1);
      case ':':
        return n == ':' ? single(Tok::kColonColon, 2) : single(Tok::kColon, 1);
      case '.':
        return single(Tok::kDot, 1);
      case '@':
        return single(Tok::kAt, 1);
      case '?':
        return single(Tok::kQuestion, 1);
      case '=':
        return n == '=' ? single(Tok::kEqEq, 2) : single(Tok::kEq, 1);
      case '!':
        return n == '=' ? single(Tok::kNe, 2) : single(Tok::kBang, 1);
      case '<':
        return n == '=' ? single(Tok::kLe, 2) : single(Tok::kLt, 1);
      case '>':
        return n == '=' ? single(Tok::kGe, 2) : single(Tok::kGt, 1);
      case '&':
        if (n == '&') return single(Tok::kAndAnd, 2);
        break;
      case '|':
        if (n == '|') return single(Tok::kOrOr, 2);
        break;
      case '-':
        return single(Tok::kMinus, 1);
      case '+':
        return single(Tok::kPlus, 1);
      case '*':
        return single(Tok::kStar, 1);
      default:
        break;
    }
    size_t len = 1;
    // Report a whole UTF-8 sequence, not a lone byte.
    if (static_cast<unsigned char>(c) >= 0xc0) {
      while (pos_ + len < src_.size() &&
             (static_cast<unsigned char>(src_[pos_ + len]) & 0xc0) == 0x80)
        ++len;
    }
    return single(Tok::kError, len);
  }

  bool unterminated() const { return unterminated_; }

 private:
  static bool is_ident_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }
  static bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

  void advance(size_t n) {
    for (size_t i = 0; i < n && pos_ < src_.size(); ++i) {
      char c = src_[pos_++];
      if (c == '\n') {
        ++line_;
        col_ = 1;
      } else if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) {
        ++col_;
      }
    }
  }

  void skip_space() {
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        advance(1);
      } else if (c == '/' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '/') {
        while (pos_ < src_.size() && src_[pos_] != '\n') advance(1);
      } else {
        break;
      }
    }
  }

  std::string_view src_;
  size_t pos_ = 0;
  int line_ = 1;
  int col_ = 1;
  bool unterminated_ = false;
};

}  // namespace gh::cedar::detail
