#include "cli/berth/go_template.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <variant>

namespace berth::cli {

// One operand or function call of a pipeline stage: `.A.B`, `"text"`, `12`, `json .X`.
struct Command {
  std::vector<std::string> words;  // raw tokens; the first may be a function name
};
struct Pipeline {
  std::vector<Command> commands;
};

struct TemplateNode {
  enum class Kind { text, action, range, if_, with } kind = Kind::text;
  std::string text;
  Pipeline pipeline;
  std::vector<std::unique_ptr<TemplateNode>> body;
  std::vector<std::unique_ptr<TemplateNode>> else_body;
};

namespace {

using json = nlohmann::json;
using Nodes = std::vector<std::unique_ptr<TemplateNode>>;

Result<std::vector<std::string>> tokenize(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '|' || c == '(' || c == ')') {
      out.emplace_back(1, c);
      ++i;
    } else if (c == '"' || c == '`') {
      size_t j = i + 1;
      std::string lit(1, '"');
      while (j < s.size() && s[j] != c) {
        if (c == '"' && s[j] == '\\' && j + 1 < s.size()) {
          char e = s[++j];
          lit += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        } else {
          lit += s[j];
        }
        ++j;
      }
      if (j >= s.size())
        return fail_msg("template: unterminated string in " + quote(std::string(s)));
      out.push_back(lit);
      i = j + 1;
    } else {
      size_t j = i;
      while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j])) && s[j] != '|' &&
             s[j] != '(' && s[j] != ')')
        ++j;
      out.emplace_back(s.substr(i, j - i));
      i = j;
    }
  }
  return out;
}

Result<Pipeline> parse_pipeline(std::string_view action) {
  auto tokens = BERTH_TRY(tokenize(action));
  Pipeline p;
  p.commands.emplace_back();
  for (auto& t : tokens) {
    if (t == "|") {
      p.commands.emplace_back();
    } else if (t == "(" || t == ")") {
      return fail_msg("template: parentheses are not supported in " + quote(std::string(action)));
    } else {
      p.commands.back().words.push_back(std::move(t));
    }
  }
  for (const auto& c : p.commands)
    if (c.words.empty())
      return fail_msg("template: empty command in " + quote(std::string(action)));
  return p;
}

// Parses until {{end}} / {{else}} (returned in `stop`) or the end of the text.
Result<Nodes> parse_nodes(std::string_view text, size_t& pos, std::string& stop) {
  Nodes nodes;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) open = text.size();
    if (open > pos) {
      auto n = std::make_unique<TemplateNode>();
      n->text = std::string(text.substr(pos, open - pos));
      nodes.push_back(std::move(n));
    }
    if (open >= text.size()) {
      pos = text.size();
      break;
    }
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos)
      return fail_msg("template: unclosed action in " + quote(std::string(text)));
    std::string_view inner = text.substr(open + 2, close - open - 2);
    if (!inner.empty() && inner.front() == '-') inner.remove_prefix(1);
    if (!inner.empty() && inner.back() == '-') inner.remove_suffix(1);
    while (!inner.empty() && std::isspace(static_cast<unsigned char>(inner.front())))
      inner.remove_prefix(1);
    while (!inner.empty() && std::isspace(static_cast<unsigned char>(inner.back())))
      inner.remove_suffix(1);
    pos = close + 2;
    if (inner == "end" || inner == "else") {
      stop = std::string(inner);
      return nodes;
    }
    auto n = std::make_unique<TemplateNode>();
    std::string_view rest = inner;
    for (auto [word, kind] : {std::pair{std::string_view("range "), TemplateNode::Kind::range},
                              {std::string_view("if "), TemplateNode::Kind::if_},
                              {std::string_view("with "), TemplateNode::Kind::with}}) {
      if (inner.starts_with(word)) {
        n->kind = kind;
        rest = inner.substr(word.size());
      }
    }
    if (n->kind == TemplateNode::Kind::text) n->kind = TemplateNode::Kind::action;
    n->pipeline = BERTH_TRY(parse_pipeline(rest));
    if (n->kind != TemplateNode::Kind::action) {
      std::string inner_stop;
      n->body = BERTH_TRY(parse_nodes(text, pos, inner_stop));
      if (inner_stop == "else") {
        n->else_body = BERTH_TRY(parse_nodes(text, pos, inner_stop));
      }
      if (inner_stop != "end")
        return fail_msg("template: missing {{end}} in " + quote(std::string(text)));
    }
    nodes.push_back(std::move(n));
  }
  stop.clear();
  return nodes;
}

std::string print_value(const json& v, bool top = true);

std::string print_number(const json& v) {
  if (v.is_number_float()) {
    double d = v.get<double>();
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%g", d);
    return buf;
  }
  return v.dump();
}

std::string print_value(const json& v, bool top) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return top ? "<no value>" : "<nil>";
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return print_number(v);
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + print_value(v[i], false);
    return out + "]";
  }
  std::string out = "map[";
  bool first = true;
  for (const auto& [k, item] : v.items()) {  // nlohmann keeps keys sorted, as Go prints them
    out += (first ? "" : " ") + k + ":" + print_value(item, false);
    first = false;
  }
  return out + "]";
}

bool truthy(const json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string() || v.is_array() || v.is_object()) return !v.empty();
  return true;
}

Result<json> field(const json& dot, std::string_view path) {
  json cur = dot;
  size_t i = 1;  // after the leading '.'
  while (i < path.size()) {
    size_t j = path.find('.', i);
    if (j == std::string_view::npos) j = path.size();
    std::string key(path.substr(i, j - i));
    if (!cur.is_object())
      return fail_msg("template: can't evaluate field " + key + " in a non-object");
    auto it = cur.find(key);
    if (it == cur.end()) return json();
    json next = *it;
    cur = std::move(next);
    i = j + 1;
  }
  return cur;
}

Result<json> operand(const std::string& word, const json& dot) {
  if (word == ".") return dot;
  if (word.starts_with(".")) return field(dot, word);
  if (word.starts_with("\"")) return json(word.substr(1));
  if (word == "true" || word == "false") return json(word == "true");
  if (!word.empty() && (std::isdigit(static_cast<unsigned char>(word[0])) || word[0] == '-')) {
    try {
      return json::parse(word);
    } catch (const json::exception&) {
    }
  }
  return fail_msg("template: function " + quote(word) + " not defined");
}

Result<std::string> go_printf(const std::vector<json>& args) {
  if (args.empty() || !args[0].is_string())
    return fail_msg("template: printf needs a format string");
  std::string f = args[0].get<std::string>(), out;
  size_t next = 1;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%' || i + 1 == f.size()) {
      out += f[i];
      continue;
    }
    char verb = f[++i];
    if (verb == '%') {
      out += '%';
      continue;
    }
    if (next >= args.size()) {
      out += "%!" + std::string(1, verb) + "(MISSING)";
      continue;
    }
    const json& a = args[next++];
    out += verb == 'q' ? json(print_value(a)).dump() : print_value(a);
  }
  return out;
}

Result<json> call(const std::string& name, const std::vector<json>& args) {
  auto need = [&](size_t n) -> Status {
    if (args.size() != n)
      return fail_msg("template: wrong number of args for " + name + ": want " + std::to_string(n) +
                      " got " + std::to_string(args.size()));
    return {};
  };
  if (name == "json") {
    BERTH_CHECK(need(1));
    return json(args[0].dump());
  }
  if (name == "join") {
    BERTH_CHECK(need(2));
    std::string out;
    if (args[0].is_array())
      for (size_t i = 0; i < args[0].size(); ++i)
        out += (i ? print_value(args[1]) : "") + print_value(args[0][i]);
    return json(out);
  }
  if (name == "index") {
    BERTH_CHECK(need(2));
    if (args[0].is_object() && args[1].is_string()) {
      auto it = args[0].find(args[1].get<std::string>());
      return it == args[0].end() ? json() : *it;
    }
    if (args[0].is_array() && args[1].is_number_integer()) {
      auto i = args[1].get<int64_t>();
      if (i < 0 || static_cast<size_t>(i) >= args[0].size())
        return fail_msg("template: index out of range: " + std::to_string(i));
      return args[0][static_cast<size_t>(i)];
    }
    return fail_msg("template: can't index item of type " + std::string(args[0].type_name()));
  }
  if (name == "len") {
    BERTH_CHECK(need(1));
    if (args[0].is_string()) return json(args[0].get<std::string>().size());
    return json(args[0].size());
  }
  if (name == "lower" || name == "upper" || name == "title") {
    BERTH_CHECK(need(1));
    std::string s = print_value(args[0]);
    bool start = true;
    for (char& c : s) {
      unsigned char u = static_cast<unsigned char>(c);
      if (name == "lower") c = static_cast<char>(std::tolower(u));
      if (name == "upper" || (name == "title" && start)) c = static_cast<char>(std::toupper(u));
      start = std::isspace(u) != 0;
    }
    return json(s);
  }
  if (name == "split") {
    BERTH_CHECK(need(2));
    std::string s = print_value(args[0]), sep = print_value(args[1]);
    json out = json::array();
    size_t at = 0;
    while (!sep.empty()) {
      size_t j = s.find(sep, at);
      if (j == std::string::npos) break;
      out.push_back(s.substr(at, j - at));
      at = j + sep.size();
    }
    out.push_back(s.substr(at));
    return out;
  }
  if (name == "printf") return json(BERTH_TRY(go_printf(args)));
  if (name == "println") {
    std::string out;
    for (size_t i = 0; i < args.size(); ++i) out += (i ? " " : "") + print_value(args[i]);
    return json(out + "\n");
  }
  return fail_msg("template: function " + quote(name) + " not defined");
}

Result<json> eval(const Pipeline& p, const json& dot) {
  json value;
  bool have = false;
  for (const auto& c : p.commands) {
    const std::string& first = c.words[0];
    bool is_function = !first.empty() && std::isalpha(static_cast<unsigned char>(first[0])) &&
                       first != "true" && first != "false";
    if (!is_function) {
      if (c.words.size() > 1)
        return fail_msg("template: can't give arguments to non-function " + first);
      value = BERTH_TRY(operand(first, dot));
    } else {
      std::vector<json> args;
      for (size_t i = 1; i < c.words.size(); ++i)
        args.push_back(BERTH_TRY(operand(c.words[i], dot)));
      if (have) args.push_back(value);
      value = BERTH_TRY(call(first, args));
    }
    have = true;
  }
  return value;
}

Status render_nodes(const Nodes& nodes, const json& dot, std::string& out) {
  for (const auto& n : nodes) {
    switch (n->kind) {
      case TemplateNode::Kind::text:
        out += n->text;
        break;
      case TemplateNode::Kind::action:
        out += print_value(BERTH_TRY(eval(n->pipeline, dot)));
        break;
      case TemplateNode::Kind::if_:
      case TemplateNode::Kind::with: {
        json v = BERTH_TRY(eval(n->pipeline, dot));
        if (truthy(v))
          BERTH_CHECK(render_nodes(n->body, n->kind == TemplateNode::Kind::with ? v : dot, out));
        else
          BERTH_CHECK(render_nodes(n->else_body, dot, out));
        break;
      }
      case TemplateNode::Kind::range: {
        json v = BERTH_TRY(eval(n->pipeline, dot));
        if (!truthy(v)) {
          BERTH_CHECK(render_nodes(n->else_body, dot, out));
        } else if (v.is_array() || v.is_object()) {
          for (const auto& item : v) BERTH_CHECK(render_nodes(n->body, item, out));
        } else {
          return fail_msg("template: range can't iterate over " + print_value(v));
        }
        break;
      }
    }
  }
  return {};
}

}  // namespace

GoTemplate::GoTemplate(GoTemplate&&) noexcept = default;
GoTemplate& GoTemplate::operator=(GoTemplate&&) noexcept = default;
GoTemplate::~GoTemplate() = default;

Result<GoTemplate> GoTemplate::parse(std::string_view text) {
  GoTemplate t;
  size_t pos = 0;
  std::string stop;
  t.nodes_ = BERTH_TRY(parse_nodes(text, pos, stop));
  if (!stop.empty())
    return fail_msg("template: unexpected {{" + stop + "}} in " + quote(std::string(text)));
  return t;
}

Result<std::string> GoTemplate::render(const nlohmann::json& dot) const {
  std::string out;
  BERTH_CHECK(render_nodes(nodes_, dot, out));
  return out;
}

TableFormat split_table_format(std::string_view format) {
  if (format == "table") return {true, ""};
  if (format.starts_with("table ")) return {true, std::string(format.substr(6))};
  return {false, std::string(format)};
}

std::string unescape_format(std::string_view format) {
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] == '\\' && i + 1 < format.size() &&
        (format[i + 1] == 't' || format[i + 1] == 'n')) {
      out += format[++i] == 't' ? '\t' : '\n';
    } else {
      out += format[i];
    }
  }
  return out;
}

}  // namespace berth::cli
