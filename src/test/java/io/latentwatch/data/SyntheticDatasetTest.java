package io.latentwatch.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import org.junit.jupiter.api.Test;

class SyntheticDatasetTest {

    @Test
    void itemsAreCameraFramesWithTheirAnomalyAsLabel() {
        SyntheticCamera cam = SyntheticCamera.builder().seed(8).imageSize(32).channels(1).anomalyRate(0.5).build();
        SyntheticDataset ds = new SyntheticDataset(cam, 100, 40);
        assertEquals(40, ds.size());
        assertEquals(1, ds.channels());
        assertEquals(32, ds.imageSize());
        int anomalous = 0;
        for (int i = 0; i < ds.size(); i++) {
            AnomalyKind k = cam.anomalyAt(100 + i);
            assertEquals(k, ds.anomaly(i));
            assertEquals(k.label(), ds.label(i));
            assertEquals("synthetic#" + (100 + i), ds.name(i));
            anomalous += k.isAnomaly() ? 1 : 0;
        }
        assertTrue(anomalous > 5 && anomalous < 35, "about half: " + anomalous);
        assertArrayEquals(cam.frame(105).normalise(1, 32), ds.normalise(5, 1, 32));
        assertEquals(3 * 64 * 64, ds.normalise(0, 3, 64).length);
        assertThrows(IndexOutOfBoundsException.class, () -> ds.name(40));
        assertEquals("synthetic camera frames 100 to 139: 40 gray 32x32 images, anomaly rate 0.5, seed 8", ds.description());
    }

    @Test
    void normalIsTheDefaultCameraWithoutAnomalies() {
        SyntheticDataset ds = SyntheticDataset.normal(50);
        for (int i = 0; i < ds.size(); i++) {
            assertEquals("none", ds.label(i));
        }
        assertEquals(3, ds.channels());
        assertEquals(64, ds.imageSize());
    }
}
