package io.latentwatch.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.frames.ImageFrames;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class CpuBreakdownTest {

    /** A thread that only decodes PNG frames: its CPU is the job's and its samples say decode + normalise. */
    @Test
    void aThreadThatDecodesIsCountedAsTheJobsDecodeStage() throws Exception {
        SyntheticCamera camera = SyntheticCamera.builder().seed(5).imageSize(64).channels(3).build();
        List<byte[]> pngs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            pngs.add(camera.frame(i).encodePng());
        }
        AtomicBoolean stop = new AtomicBoolean();
        Thread worker = new Thread(() -> {
            int i = 0;
            while (!stop.get()) {
                try {
                    ImageFrames.normalise(ImageFrames.decode(pngs.get(i++ % pngs.size())), 3, 64);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }, "decode + validate (1/1)#0");
        CpuBreakdown cpu = CpuBreakdown.start();
        worker.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        // until the worker has used 0.5 s of CPU, however slow the machine is
        while (System.nanoTime() < deadline
                && java.lang.management.ManagementFactory.getThreadMXBean().getThreadCpuTime(worker.getId()) < 500_000_000L) {
            Thread.sleep(20);
        }
        stop.set(true);
        worker.join();
        CpuBreakdown.Result r = cpu.stop(name -> name != null && name.endsWith("(1/1)#0"));

        assertTrue(r.jobJavaCpu() >= 400_000_000L, "the worker's CPU is the job's: " + r);
        assertTrue(r.processCpu() >= r.jobJavaCpu(), "the process used at least the job's CPU: " + r);
        long all = r.samples().values().stream().mapToLong(Long::longValue).sum();
        long decode = r.samples().get("decode + normalise");
        assertTrue(all >= 10 && decode > all / 2, "decoding is most of the job's samples: " + r.samples());
        assertEquals(0L, r.samples().get(CpuBreakdown.MODEL), "no model ran: " + r.samples());
    }

    /** Code run hot for the first time in the window is compiled there, and counted as latentwatch's. */
    @Test
    void compilationsOfFreshCodeAreCountedForTheirOwner() throws Exception {
        CpuBreakdown cpu = CpuBreakdown.start();
        long sum = 0;
        for (int i = 0; i < 2_000_000; i++) {
            sum += Hot.mix(i);
        }
        CpuBreakdown.Result r = cpu.stop(name -> false);
        assertTrue(sum != 42, "keeps the loop");
        JitWork.Owner ours = r.jit().owners().stream().filter(o -> o.name().equals("latentwatch")).findFirst().orElse(null);
        assertTrue(ours != null && ours.compilations() >= 1 && ours.compileNanos() > 0 && ours.classLoaders() >= 1,
                "the hot method was compiled in the window: " + r.jit());
    }

    @Test
    void ownersAreTheNarrowestPrefix() {
        assertEquals("Kafka broker", JitWork.ownerOf("org.apache.kafka.raft.KafkaRaftClient"));
        assertEquals("Kafka clients", JitWork.ownerOf("org.apache.kafka.clients.producer.KafkaProducer"));
        assertEquals("Flink RPC (Pekko, Scala)", JitWork.ownerOf("org.apache.pekko.dispatch.Mailbox"));
        assertEquals("Flink", JitWork.ownerOf("org.apache.flink.runtime.io.network.buffer.NetworkBuffer"));
        assertEquals("ImageIO, AWT, zip", JitWork.ownerOf("java.util.zip.Inflater"));
        assertEquals("JDK", JitWork.ownerOf("java.util.HashMap"));
        assertEquals(JitWork.OTHER, JitWork.ownerOf("com.google.gson.Gson"));
    }

    /** A method no other test calls, so that it is compiled first in the window above. */
    static final class Hot {
        static long mix(long x) {
            x ^= x >>> 33;
            x *= 0xff51afd7ed558ccdL;
            return x ^ (x >>> 29);
        }
    }
}
