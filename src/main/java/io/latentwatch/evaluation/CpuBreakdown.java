package io.latentwatch.evaluation;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a streaming job's CPU time goes, measured in this JVM over a window: the CPU time of every Java thread
 * (ThreadMXBean, polled so that threads which end inside the window still count), the CPU time of the JVM's own
 * threads (garbage collector, JIT compilers; from /proc on Linux), the process's CPU time, and JDK Flight Recorder's
 * execution samples of the job's threads, each counted for the stage of the first frame from the top of its stack
 * that names one ({@link #STAGES}).
 *
 * <p>Why all of them: CPU times are exact but say nothing of stages; samples tell stages apart but only in Java code
 * (JFR samples at most a few threads in Java per period and one in native code, so native time, which is where the
 * model computes, is not in them). The process's CPU less every Java and JVM thread is the engine's own worker
 * threads. So a breakdown reads: exact CPU per thread (group), and within the job's Java code the stages' shares of the
 * samples.
 */
public final class CpuBreakdown implements AutoCloseable {

    /** A stage of a frame's way through the job, with the class-name prefixes of the stack frames that mark it. */
    public record Stage(String name, List<String> marks) {}

    /** The model stage's name: its samples are the Java side of the engine's calls. */
    public static final String MODEL = "model";

    /** Samples in none of the stages: Flink's mailbox, checkpoints, timers, the JDK's own work. */
    public static final String OTHER = "other (Flink runtime, checkpoints)";

    /** The stages; the first with a mark in the top-most marked frame of a stack wins. */
    public static final List<Stage> STAGES = List.of(
            new Stage("transactions", List.of("org.apache.flink.connector.kafka.sink.FlinkKafkaInternalProducer",
                    "org.apache.kafka.clients.producer.internals.TransactionManager", "org.apache.flink.connector.kafka.sink.KafkaCommitter",
                    "org.apache.flink.connector.kafka.sink.internal.")),
            new Stage(MODEL, List.of("ai.djl.", "io.latentwatch.model.", "io.latentwatch.scoring.BatchScorer",
                    "io.latentwatch.pipeline.operators.FrameBatchScorer")),
            new Stage("decode + normalise", List.of("javax.imageio.", "com.sun.imageio.", "sun.awt.image.", "java.awt.image.",
                    "java.util.zip.Inflater", "io.latentwatch.frames.", "io.latentwatch.pipeline.operators.FrameDecoder")),
            new Stage("batch", List.of("io.latentwatch.pipeline.operators.MicroBatchOperator", "io.latentwatch.scoring.FrameBatch")),
            new Stage("threshold", List.of("io.latentwatch.pipeline.operators.ThresholdFunction", "io.latentwatch.scoring.SourceThreshold",
                    "org.apache.flink.runtime.state.")),
            new Stage("serialise + sink", List.of("io.latentwatch.pipeline.kafka.", "com.google.gson.", "org.apache.avro.",
                    "jdk.internal.math.FloatingDecimal", "org.apache.kafka.clients.producer.", "org.apache.kafka.common.record.",
                    "org.apache.kafka.common.compress.", "org.apache.flink.connector.kafka.sink.")),
            new Stage("source + deserialise", List.of("org.apache.kafka.clients.consumer.", "org.apache.flink.connector.kafka.source.",
                    "org.apache.flink.connector.base.source.", "org.apache.kafka.common.network.", "org.apache.kafka.common.requests.")),
            new Stage("unbatch + network", List.of("io.latentwatch.pipeline.operators.Unbatch", "org.apache.flink.runtime.io.network.",
                    "org.apache.flink.api.common.typeutils.", "org.apache.flink.api.java.typeutils.", "com.esotericsoftware.kryo.",
                    "org.apache.flink.streaming.runtime.io.", "org.apache.flink.runtime.io.")));

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final Recording recording = new Recording();
    private final Map<Long, Long> cpuAtStart = new HashMap<>();
    private final Map<Long, Long> cpuLatest = new ConcurrentHashMap<>();
    private final Map<Long, String> names = new ConcurrentHashMap<>();
    private final ScheduledExecutorService poller;
    private final long processCpuAtStart;
    private final long gcCpuAtStart;
    private final long jitCpuAtStart;

    private CpuBreakdown() {
        recording.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10)).withStackTrace();
        // every compilation, not only the slow ones of the default settings: what the compilers spend their CPU on
        recording.enable("jdk.Compilation").withThreshold(Duration.ZERO).withoutStackTrace();
        recording.enable("jdk.Deoptimization").withoutStackTrace();
        recording.setToDisk(true);
        snapshot(cpuAtStart);
        gcCpuAtStart = vmThreadsCpuNanos(VmThreads.GC);
        jitCpuAtStart = vmThreadsCpuNanos(VmThreads.JIT);
        processCpuAtStart = processCpuNanos();
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "latentwatch-cpu-breakdown");
            t.setDaemon(true);
            return t;
        });
        poller.scheduleAtFixedRate(() -> snapshot(cpuLatest), 100, 100, TimeUnit.MILLISECONDS);
        recording.start();
    }

    /** Starts measuring now. */
    public static CpuBreakdown start() {
        return new CpuBreakdown();
    }

    /** The CPU time this process has used, all threads together, in ns (-1 where the JVM does not say). */
    public static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean o ? o.getProcessCpuTime() : -1;
    }

    /** The CPU time this JVM's JIT compiler threads have used, in ns (0 where /proc is not there). */
    public static long jitCpuNanos() {
        return vmThreadsCpuNanos(VmThreads.JIT);
    }

    /**
     * What the window used.
     *
     * @param ofJob which Java threads are the job's (by name); the others (a broker in the same JVM, the benchmark's
     *     own clients) are one sum, left out of the stages
     */
    public Result stop(Predicate<String> ofJob) throws IOException {
        recording.stop();
        poller.shutdownNow();
        long processCpu = processCpuNanos() - processCpuAtStart;
        long gcCpu = vmThreadsCpuNanos(VmThreads.GC) - gcCpuAtStart;
        long jitCpu = vmThreadsCpuNanos(VmThreads.JIT) - jitCpuAtStart;
        snapshot(cpuLatest);
        Map<String, Long> samples = new LinkedHashMap<>();
        STAGES.forEach(s -> samples.put(s.name(), 0L));
        samples.put(OTHER, 0L);
        JitWork jit = new JitWork();
        Path file = Files.createTempFile("latentwatch-cpu-", ".jfr");
        try {
            recording.dump(file);
            for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
                jit.accept(e);
                if ("jdk.ExecutionSample".equals(e.getEventType().getName()) && e.getStackTrace() != null
                        && e.getThread("sampledThread") != null && ofJob.test(e.getThread("sampledThread").getJavaName())) {
                    int i = stageOf(e.getStackTrace().getFrames());
                    samples.merge(i < STAGES.size() ? STAGES.get(i).name() : OTHER, 1L, Long::sum);
                }
            }
        } finally {
            Files.deleteIfExists(file);
            recording.close();
        }
        long outside = 0;
        Map<String, Long> jobThreads = new LinkedHashMap<>();
        for (Map.Entry<Long, Long> t : cpuLatest.entrySet()) {
            long used = Math.max(0, t.getValue() - cpuAtStart.getOrDefault(t.getKey(), 0L));
            String name = names.get(t.getKey());
            if (ofJob.test(name)) {
                jobThreads.merge(name, used, Long::sum);
            } else {
                outside += used;
            }
        }
        return new Result(processCpu, jobThreads, outside, gcCpu, jitCpu, samples, jit);
    }

    @Override
    public void close() {
        poller.shutdownNow();
        recording.close();
    }

    /** Index into {@link #STAGES} of the top-most frame that names a stage, or STAGES.size() for none. */
    static int stageOf(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            if (f.getMethod() == null) {
                continue;
            }
            String type = f.getMethod().getType().getName();
            for (int i = 0; i < STAGES.size(); i++) {
                for (String mark : STAGES.get(i).marks()) {
                    if (type.startsWith(mark)) {
                        return i;
                    }
                }
            }
        }
        return STAGES.size();
    }

    private void snapshot(Map<Long, Long> into) {
        for (long id : threads.getAllThreadIds()) {
            long cpu = threads.getThreadCpuTime(id);
            ThreadInfo info = threads.getThreadInfo(id);
            if (cpu >= 0 && info != null) {
                into.put(id, cpu);
                names.put(id, info.getThreadName());
            }
        }
    }

    /** The JVM's own threads, which are no Java threads. */
    enum VmThreads { GC, JIT }

    /**
     * CPU time of the JVM's garbage collector or JIT compiler threads: from /proc/self/task on Linux, 0 elsewhere.
     */
    static long vmThreadsCpuNanos(VmThreads want) {
        Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return 0;
        }
        long ticks = 0;
        try (var dirs = Files.list(tasks)) {
            for (Path task : (Iterable<Path>) dirs::iterator) {
                try {
                    String comm = Files.readString(task.resolve("comm")).strip();
                    boolean gc = comm.startsWith("GC Thread") || comm.startsWith("G1 ");
                    boolean jit = comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre");
                    if (!(want == VmThreads.GC ? gc : jit)) {
                        continue;
                    }
                    String stat = Files.readString(task.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15 of stat)
                } catch (IOException | RuntimeException gone) {
                    // the thread ended while being read
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return ticks * 10_000_000L; // USER_HZ is 100 on Linux
    }

    /**
     * CPU time of one window, in ns, and the job's Java samples by stage.
     *
     * @param processCpu all threads of the process
     * @param jobThreadsCpu the job's Java threads by name (the model's calls into the engine included)
     * @param outsideJavaCpu the other Java threads
     * @param gcCpu the garbage collector's threads
     * @param jitCpu the JIT compilers' threads
     * @param samples the job's execution samples per stage name
     * @param jit what the JIT compilers worked on, by the code's owner (the whole JVM's)
     */
    public record Result(long processCpu, Map<String, Long> jobThreadsCpu, long outsideJavaCpu, long gcCpu, long jitCpu,
            Map<String, Long> samples, JitWork jit) {

        /** All of the job's Java threads. */
        public long jobJavaCpu() {
            return jobThreadsCpu.values().stream().mapToLong(Long::longValue).sum();
        }

        /**
         * CPU of the engine's own worker threads (PyTorch's intra-op pool) and the VM's other threads: neither Java
         * threads nor the collector or compilers.
         */
        public long engineWorkersCpu() {
            return Math.max(0, processCpu - jobJavaCpu() - outsideJavaCpu - gcCpu - jitCpu);
        }
    }
}
