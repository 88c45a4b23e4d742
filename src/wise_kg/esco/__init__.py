"""esco"""
