package io.latentwatch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.latentwatch.frames.Frame;
import io.latentwatch.model.DipVae;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.model.ModelMetadata;
import io.latentwatch.pipeline.kafka.DeadLetter;
import io.latentwatch.pipeline.kafka.RawFrame;
import io.latentwatch.scoring.Alert;
import io.latentwatch.scoring.FrameBatch;
import io.latentwatch.scoring.ScoredBatch;
import io.latentwatch.scoring.ScoredFrame;
import io.latentwatch.scoring.SourceThreshold;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.CompositeType;
import org.apache.flink.api.dag.Transformation;
import org.apache.flink.api.java.typeutils.GenericTypeInfo;
import org.apache.flink.api.java.typeutils.ObjectArrayTypeInfo;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every record that travels between the job's operators, and its keyed state, has Flink's own serializer: a POJO of
 * serializable fields, never a GenericTypeInfo that Kryo serializes (slower, larger, and without schema evolution).
 * Checked on the job's graph itself, with and without fine-tuning, so that a field added later that Flink cannot
 * analyse (an interface, a collection, a class without a no-argument constructor) fails here.
 */
class RecordTypesTest {

    @TempDir Path tmp;
    private Path model;

    @BeforeEach
    void model() throws Exception {
        model = tmp.resolve("model");
        DipVaeConfig c = DipVaeConfig.builder().inChannels(1).imageSize(16).latentDim(4).hiddenDims(8, 8).build();
        Engine.getInstance().setRandomSeed(1);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            ModelDirectory.write(model, new DipVae(c).initialize(m), ModelMetadata.initial(c, null));
        }
    }

    @Test
    void theRecordTypesArePojos() {
        for (Class<?> type : List.of(RawFrame.class, Frame.class, FrameBatch.class, ScoredBatch.class, ScoredFrame.class, Alert.class,
                DeadLetter.class, SourceThreshold.class)) {
            TypeInformation<?> info = TypeInformation.of(type);
            assertInstanceOf(PojoTypeInfo.class, info, type.getSimpleName());
            assertEquals(List.of(), generic(info), type.getSimpleName() + " has fields Kryo would serialize");
        }
    }

    @Test
    void nothingTheJobPassesOnGoesThroughKryo() throws Exception {
        assertNoGenericTypes(job(false));
    }

    @Test
    void nothingTheFineTuningJobPassesOnGoesThroughKryo() throws Exception {
        assertNoGenericTypes(job(true));
    }

    private ScoringJob job(boolean tuning) throws Exception {
        Configuration c = new Configuration();
        c.set(ScoringJobOptions.MODEL_PATH, model.toString());
        c.set(ScoringJobOptions.BOOTSTRAP_SERVERS, "localhost:9092");
        c.set(ScoringJobOptions.THRESHOLD, 0.05);
        if (tuning) {
            c.set(ScoringJobOptions.TUNING_ENABLED, true);
            c.set(ScoringJobOptions.TUNING_REGISTRY, tmp.resolve("registry").toString());
        }
        return ScoringJob.builder().setConfiguration(c).build();
    }

    private static void assertNoGenericTypes(ScoringJob job) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(new Configuration());
        job.attach(env);
        List<String> found = new ArrayList<>();
        Set<Transformation<?>> seen = new HashSet<>();
        Deque<Transformation<?>> todo = new ArrayDeque<>(env.getTransformations());
        while (!todo.isEmpty()) {
            Transformation<?> t = todo.pop();
            if (!seen.add(t)) {
                continue;
            }
            todo.addAll(t.getInputs());
            for (String g : generic(t.getOutputType())) {
                found.add(t.getName() + ": " + g);
            }
        }
        assertTrue(seen.size() > 8, "the job's operators: " + seen.size());
        assertEquals(List.of(), found, "records that would go through Kryo");
    }

    /** The generic types in a type and in its fields and elements, all the way down. */
    private static List<String> generic(TypeInformation<?> type) {
        List<String> out = new ArrayList<>();
        collect(type, type.toString(), out);
        return out;
    }

    private static void collect(TypeInformation<?> type, String path, List<String> out) {
        if (type instanceof GenericTypeInfo<?>) {
            out.add(path + " is " + type);
        } else if (type instanceof PojoTypeInfo<?> pojo) {
            for (int i = 0; i < pojo.getArity(); i++) {
                collect(pojo.getPojoFieldAt(i).getTypeInformation(), pojo.getTypeClass().getSimpleName() + "." + pojo.getPojoFieldAt(i).getField().getName(), out);
            }
        } else if (type instanceof CompositeType<?> composite) {
            for (int i = 0; i < composite.getArity(); i++) {
                collect(composite.getTypeAt(i), path + "[" + i + "]", out);
            }
        } else if (type instanceof ObjectArrayTypeInfo<?, ?> array) {
            collect(array.getComponentInfo(), path + "[]", out);
        }
    }
}
