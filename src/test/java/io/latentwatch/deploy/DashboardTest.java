package io.latentwatch.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard is well-formed: every panel and query names a datasource that the provisioning defines,
 * every query selects at least one metric, and each filters by the dashboard's job. Which metrics exist is
 * DashboardMetricsITCase's part.
 */
class DashboardTest {

    private static final Path DATASOURCES = DeployFiles.root().resolve("deploy/grafana/provisioning/datasources");

    /** The uids of the datasources that Grafana's provisioning defines. */
    private static Set<String> provisionedDatasourceUids() throws IOException {
        Set<String> uids = new LinkedHashSet<>();
        try (Stream<Path> files = Files.list(DATASOURCES)) {
            for (Path f : files.sorted().toList()) {
                for (Object d : DeployFiles.list(DeployFiles.loadOne(f), "datasources")) {
                    uids.add(String.valueOf(DeployFiles.at(d, "uid")));
                }
            }
        }
        return uids;
    }

    @Test
    void everyPanelQueriesAProvisionedDatasourceAndAMetric() throws IOException {
        GrafanaDashboard dashboard = GrafanaDashboard.read(GrafanaDashboard.FILE);
        assertEquals(Set.of("prometheus"), provisionedDatasourceUids());
        assertEquals(List.of(), dashboard.problems(provisionedDatasourceUids()));
        assertTrue(dashboard.queries().size() >= 10, dashboard.queries().toString());
        int schema = dashboard.root.path("schemaVersion").asInt();
        assertTrue(schema >= 36 && schema <= 41, "schemaVersion of Grafana 10-11: " + schema);
        List<String> unfiltered = new ArrayList<>();
        for (GrafanaDashboard.Query q : dashboard.queries()) {
            if (!q.template() && !q.expr().contains("job_name=~\"$job\"")) {
                unfiltered.add(q.where() + ": " + q.expr());
            }
        }
        assertEquals(List.of(), unfiltered, "queries that ignore the $job variable");
    }

    @Test
    void aPanelOfAnUnknownDatasourceOrWithoutMetricIsReported() throws IOException {
        String json = DeployFiles.read(GrafanaDashboard.FILE);
        String otherUid = json.replaceFirst("\"uid\": \"prometheus\"", "\"uid\": \"prom\"");
        List<String> problems = GrafanaDashboard.parse(otherUid).problems(provisionedDatasourceUids());
        assertTrue(problems.stream().anyMatch(p -> p.contains("prom") && p.contains("none of [prometheus]")), problems.toString());
        String noMetric = json.replaceFirst("\"expr\": \"(?:[^\"\\\\]|\\\\.)*\"", "\"expr\": \"sum(rate(\\$x[5m]))\"");
        problems = GrafanaDashboard.parse(noMetric).problems(provisionedDatasourceUids());
        assertTrue(problems.stream().anyMatch(p -> p.contains("no metric name")), problems.toString());
    }

    @Test
    void metricNamesAreToldFromFunctionsLabelsKeywordsAndVariables() {
        assertEquals(Set.of("a_total"), PromQlMetricNames.ofExpression("sum by (reason, job) (rate(a_total{job=~\"$job\", x=\"{}[]\"}[$__rate_interval]))"));
        assertEquals(Set.of("q", "b"), PromQlMetricNames.ofExpression("histogram_quantile(0.99, q{quantile=\"0.5\"}) / on (instance) group_left (pod) b offset 5m"));
        assertEquals(Set.of("x:recorded", "y"), PromQlMetricNames.ofExpression("max without (i) (x:recorded) > bool 1e3 and y unless 2 * ${v:raw}"));
        assertEquals(Set.of(), PromQlMetricNames.ofExpression("vector(1) + time()"));
        assertEquals(Set.of("m"), PromQlMetricNames.ofTemplateQuery("label_values(m{a=\"b\"}, job_name)"));
        assertEquals(Set.of(), PromQlMetricNames.ofTemplateQuery("label_values(job_name)"));
        assertEquals(Set.of("m"), PromQlMetricNames.ofTemplateQuery("query_result(topk(5, m))"));
    }
}
