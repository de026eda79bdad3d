package io.latentwatch.pipeline;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

/**
 * The metrics of group {@code latentwatch} that a job registered on a MiniCluster, kept after the job ended (Flink's
 * {@link InMemoryReporter}): what an operator reads from the REST API or Prometheus.
 */
public final class JobMetrics {

    private final InMemoryReporter reporter = InMemoryReporter.createWithRetainedMetrics();

    /** A MiniCluster of one TaskManager with two slots that reports its jobs' metrics here. */
    public MiniClusterExtension miniCluster() {
        return miniCluster(new Configuration());
    }

    /** The same MiniCluster with these settings of its own (e.g. the TaskManager's network buffers). */
    public MiniClusterExtension miniCluster(Configuration settings) {
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1)
                .setNumberSlotsPerTaskManager(2).setConfiguration(reporter.addToConfiguration(new Configuration(settings))).build());
    }

    /** The sum of the job's counters {@code latentwatch.<name>} over every operator and subtask. */
    public long count(JobID job, String name) {
        return find(job, name).values().stream().mapToLong(m -> ((Counter) m).getCount()).sum();
    }

    /**
     * The sum of the job's gauges {@code latentwatch.<name>} over every operator and subtask: their last values once
     * the job has ended.
     */
    public long gauge(JobID job, String name) {
        return find(job, name).values().stream().mapToLong(m -> ((Number) ((Gauge<?>) m).getValue()).longValue()).sum();
    }

    /** The job's histograms {@code latentwatch.<name>}, one per subtask. */
    public List<Histogram> histograms(JobID job, String name) {
        return find(job, name).values().stream().map(m -> (Histogram) m).collect(Collectors.toList());
    }

    /** How often the job restarted (Flink's job-level {@code numRestarts}). */
    public long restarts(JobID job) {
        return reporter.findMetrics(job, ".*\\.numRestarts").values().stream()
                .mapToLong(m -> ((Number) ((org.apache.flink.metrics.Gauge<?>) m).getValue()).longValue()).max().orElse(0);
    }

    private Map<String, Metric> find(JobID job, String name) {
        Map<String, Metric> found = reporter.findMetrics(job, ".*\\.latentwatch\\." + name);
        if (found.isEmpty()) {
            throw new AssertionError("job " + job + " registered no metric latentwatch." + name + "; it has "
                    + reporter.getMetricsByIdentifiers(job).keySet().stream().filter(k -> k.contains(".latentwatch.")).sorted()
                            .collect(Collectors.toList()));
        }
        return found;
    }
}
