package io.latentwatch.deploy;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression selects, as a Grafana panel or template variable writes it: enough of
 * PromQL's grammar to tell a metric name from a function, a keyword, a label name or a Grafana variable. Not a
 * validator: Prometheus itself judges the syntax.
 */
final class PromQlMetricNames {

    /** Grafana's $var, ${var} and ${var:format}, and [[var]]: read as a plain number, which selects nothing. */
    private static final Pattern GRAFANA_VARIABLE = Pattern.compile("\\$\\{[^}]*}|\\$\\w+|\\[\\[[^]]*]]");
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
    /** Label matchers {...} and ranges or subqueries [...]: after strings are gone neither nests. */
    private static final Pattern MATCHERS_OR_RANGE = Pattern.compile("\\{[^}]*}|\\[[^]]*]");
    /** by (a, b), without (...), on (...), ignoring (...), group_left (...), group_right (...): label names. */
    private static final Pattern LABEL_LIST = Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    /** An identifier that is not part of a number (1e3), a longer name or a duration. */
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w:.])[a-zA-Z_:][\\w:]*");
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right", "offset",
            "bool", "and", "or", "unless", "atan2", "inf", "nan", "start", "end");
    /** Grafana's template query label_values(EXPR, LABEL) and label_values(LABEL): the label is no metric. */
    private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\(\\s*(?:(.*),)?\\s*[a-zA-Z_]\\w*\\s*\\)\\s*$", Pattern.DOTALL);
    /** Grafana's template query query_result(EXPR). */
    private static final Pattern QUERY_RESULT = Pattern.compile("^\\s*query_result\\((.*)\\)\\s*$", Pattern.DOTALL);

    private PromQlMetricNames() {}

    /** The metric names in a panel's PromQL expression, in order of appearance. */
    static Set<String> ofExpression(String expr) {
        String s = GRAFANA_VARIABLE.matcher(expr).replaceAll("1");
        s = STRING.matcher(s).replaceAll(" ");
        s = MATCHERS_OR_RANGE.matcher(s).replaceAll(" ");
        s = LABEL_LIST.matcher(s).replaceAll(" ");
        Set<String> names = new LinkedHashSet<>();
        Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            String word = m.group();
            if (!KEYWORDS.contains(word.toLowerCase()) && !calledAsFunction(s, m.end())) {
                names.add(word);
            }
        }
        return names;
    }

    /** The metric names in a Grafana template variable's query: label_values(...), query_result(...) or PromQL. */
    static Set<String> ofTemplateQuery(String query) {
        Matcher labelValues = LABEL_VALUES.matcher(query);
        if (labelValues.matches()) {
            return labelValues.group(1) == null ? Set.of() : ofExpression(labelValues.group(1));
        }
        Matcher queryResult = QUERY_RESULT.matcher(query);
        return ofExpression(queryResult.matches() ? queryResult.group(1) : query);
    }

    private static boolean calledAsFunction(String s, int end) {
        int i = end;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i < s.length() && s.charAt(i) == '(';
    }
}
