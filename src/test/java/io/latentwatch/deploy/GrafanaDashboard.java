package io.latentwatch.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** A Grafana dashboard JSON file as the tests read it: its panels, their queries and its template variables. */
final class GrafanaDashboard {

    /** The dashboard that compose provisions and kustomize turns into a ConfigMap: one file for both. */
    static final Path FILE = DeployFiles.root().resolve("deploy/grafana/dashboards/latentwatch.json");

    /** A PromQL query of a panel or a template variable, and the datasource uid it names (null: none named). */
    record Query(String where, String expr, String datasourceUid, boolean template) {
        Set<String> metricNames() {
            return template ? PromQlMetricNames.ofTemplateQuery(expr) : PromQlMetricNames.ofExpression(expr);
        }
    }

    final JsonNode root;

    private GrafanaDashboard(JsonNode root) {
        this.root = root;
    }

    static GrafanaDashboard read(Path file) {
        return parse(DeployFiles.read(file));
    }

    static GrafanaDashboard parse(String json) {
        try {
            return new GrafanaDashboard(new ObjectMapper().readTree(json));
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + e.getMessage(), e);
        }
    }

    /**
     * What Grafana would not show: a panel or query whose datasource is not one of {@code datasourceUids}, a query
     * without a metric name, a panel id twice, a dashboard without uid or title.
     */
    List<String> problems(Set<String> datasourceUids) {
        List<String> problems = new ArrayList<>();
        for (String field : List.of("uid", "title")) {
            if (root.path(field).asText("").isEmpty()) {
                problems.add("the dashboard has no " + field);
            }
        }
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : panels()) {
            String title = panel.path("title").asText();
            if (!ids.add(panel.path("id").asInt(-1))) {
                problems.add("panel '" + title + "': id " + panel.path("id") + " is not unique");
            }
            if (!"row".equals(panel.path("type").asText()) && !datasourceUids.contains(uid(panel.path("datasource")))) {
                problems.add("panel '" + title + "': datasource " + panel.path("datasource") + " is none of " + datasourceUids);
            }
        }
        for (Query q : queries()) {
            if (!datasourceUids.contains(q.datasourceUid())) {
                problems.add(q.where() + ": datasource uid " + q.datasourceUid() + " is none of " + datasourceUids);
            }
            if (q.expr() == null || q.metricNames().isEmpty()) {
                problems.add(q.where() + ": no metric name in " + q.expr());
            }
        }
        return problems;
    }

    /** Every panel, those inside collapsed rows included. */
    List<JsonNode> panels() {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode p : root.path("panels")) {
            out.add(p);
            p.path("panels").forEach(out::add);
        }
        return out;
    }

    /** Every panel target's expr and every query variable's query, each with the datasource it names. */
    List<Query> queries() {
        List<Query> out = new ArrayList<>();
        for (JsonNode panel : panels()) {
            for (JsonNode target : panel.path("targets")) {
                JsonNode datasource = target.has("datasource") ? target.get("datasource") : panel.path("datasource");
                out.add(new Query("panel '" + panel.path("title").asText() + "' " + target.path("refId").asText(), target.path("expr").asText(null),
                        uid(datasource), false));
            }
        }
        for (JsonNode variable : root.path("templating").path("list")) {
            if ("query".equals(variable.path("type").asText())) {
                JsonNode query = variable.path("query");
                out.add(new Query("variable $" + variable.path("name").asText(), query.isObject() ? query.path("query").asText(null) : query.asText(null),
                        uid(variable.path("datasource")), true));
            }
        }
        return out;
    }

    /** The metric names that the queries select, sorted by first appearance. */
    Set<String> metricNames() {
        Set<String> names = new LinkedHashSet<>();
        for (Query q : queries()) {
            names.addAll(q.metricNames());
        }
        return names;
    }

    private static String uid(JsonNode datasource) {
        return datasource.isObject() ? datasource.path("uid").asText(null) : null;
    }
}
